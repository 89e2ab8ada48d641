import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { keyCheckValue } from '../server/crypto/key-check';
import { insertKeyCheck } from '../server/crypto/queries';
import { listOAuth2Integrations, upsertAccounts, type AccountUpsert } from '../server/composio/queries';
import { createDatabase } from '../server/db';
import { migrate } from '../server/db/migrate';
import { provisionUser } from '../server/users/provision';
import { integrationId, seedTeamData } from '../test/helpers/fixtures';

/**
 * The benchmark's data, the same on both databases: a catalog of 50 integrations, and one user
 * who is admin of a team at each scale. 1x is the team: 300 connections, 10 assistants
 * with 20 integrations each; 10x and 100x (30,000 connections, 1,000 assistants) are the same
 * team made larger.
 */

export const BENCH_EMAIL = 'bench@example.com';
export const BENCH_PASSWORD = 'bench-password-0123';
export const CATALOG_SIZE = 50;
/** The apps run with this key; the seeded API keys are placeholders, so the key check is stored for it. */
export const BENCH_ENCRYPTION_KEY = 'b'.repeat(64);

export interface BenchTeam {
  units: number;
  teamId: number;
  assistantId: number;
  connections: number;
  /** An integration the picker opens: one that takes both kinds of connection. */
  pickerIntegrationId: number;
}

export async function seedBenchDatabase(url: string, scales: number[]): Promise<{ userId: number; teams: BenchTeam[] }> {
  await migrate(url);
  const db = createDatabase({ connectionString: url, description: 'bench seed', maxConnections: 1 });
  try {
    await db.withOwner(async (tx) => {
      const existing = (await tx.one<{ n: number }>('SELECT count(*)::int AS n FROM integrations')).n;
      await tx.query(
        `INSERT INTO integrations (slug, label, icon, category, category_position, position, description, auth)
         SELECT 'bench_' || g, 'Bench tool ' || g, 'Bt', 'More tools', 8, g, 'A tool that takes an API key, for the benchmark.', 'api_key'
           FROM generate_series(1, $1) g`,
        [CATALOG_SIZE - existing],
      );
    });
    const teams: BenchTeam[] = [];
    let userId = 0;
    for (const units of scales) {
      const provisioned = await db.withOwner((tx) =>
        provisionUser(tx, { email: BENCH_EMAIL, password: BENCH_PASSWORD, teamName: `Bench ${units}x`, role: 'admin' }),
      );
      userId = provisioned.userId;
      const seeded = await seedTeamData(db, provisioned.teamId, units, 20);
      teams.push({
        units,
        teamId: provisioned.teamId,
        assistantId: seeded.assistants[0]!,
        connections: seeded.connections,
        pickerIntegrationId: await integrationId(db, 'github'),
      });
    }
    await db.withOwner((tx) => insertKeyCheck(tx, keyCheckValue(Buffer.from(BENCH_ENCRYPTION_KEY, 'hex'))));
    return { userId, teams };
  } finally {
    await db.close();
    // A database that has been running a while: statistics gathered and the visibility map set,
    // as autovacuum leaves it (index-only scans depend on the latter).
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('VACUUM ANALYZE');
    await client.end();
  }
}

/**
 * The sync's write on its own: upsertAccounts of `n` accounts into a fresh team, as the acting user
 * (row-level security applies, as in a sync), then the same accounts again, unchanged.
 */
export async function measureUpsert(url: string, n: number): Promise<{ first: number; again: number }> {
  const db = createDatabase({ connectionString: url, description: 'bench upsert', maxConnections: 1 });
  try {
    const { userId, teamId } = await db.withOwner((tx) =>
      provisionUser(tx, { email: BENCH_EMAIL, password: BENCH_PASSWORD, teamName: 'Bench upsert', role: 'admin' }),
    );
    const providers = await db.withOwner((tx) => listOAuth2Integrations(tx));
    const now = Date.now();
    const rows: AccountUpsert[] = Array.from({ length: n }, (_, i) => {
      const provider = providers[i % providers.length]!;
      return {
        integrationId: provider.id,
        accountId: `ca_upsert_${i}`,
        toolkit: provider.composio_toolkits[0]!,
        identity: `user${i}@example.test`,
        status: 'ACTIVE',
        statusReason: null,
        disabled: false,
        connectedAt: new Date(now - i * 60_000),
        updatedAt: new Date(now - i * 1000),
      };
    });
    const timed = async () => {
      const started = performance.now();
      await db.withUser(userId, (tx) => upsertAccounts(tx, teamId, rows));
      return performance.now() - started;
    };
    return { first: await timed(), again: await timed() };
  } finally {
    await db.close();
  }
}
