import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase } from '../../server/db/embedded';
import { migrate } from '../../server/db/migrate';
import { itOnPostgres } from '../helpers/postgres-only';

const MIGRATIONS = path.resolve(__dirname, '..', '..', 'migrations');

/** The schema as it was before teams owned their Composio user id: only the first migration. */
async function migrateToFirstSchema(url: string): Promise<void> {
  const { runner } = await import('node-pg-migrate');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await runner({
      dbClient: client,
      dir: MIGRATIONS,
      direction: 'up',
      count: 1,
      migrationsTable: 'pgmigrations',
      singleTransaction: true,
      log: () => {},
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  } finally {
    await client.end();
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Teams that shared an id, and teams that used the server default, each get their own. */
async function checkMigration(url: string): Promise<void> {
  await migrateToFirstSchema(url);
  await withClient(url, (c) =>
    c.query(`INSERT INTO teams (name, composio_user_id, created_at) VALUES
               ('Oldest', 'shared', '2026-01-01'), ('Younger', 'shared', '2026-02-01'), ('Youngest', 'shared', '2026-03-01'),
               ('Default', NULL, '2026-01-15'), ('Own', 'own-id', '2026-01-20')`),
  );
  await migrate(url);
  await withClient(url, async (c) => {
    const teams = Object.fromEntries(
      (await c.query<{ name: string; composio_user_id: string }>('SELECT name, composio_user_id FROM teams')).rows.map((r) => [
        r.name,
        r.composio_user_id,
      ]),
    );
    expect(teams.Oldest).toBe('shared');
    expect(teams.Own).toBe('own-id');
    for (const name of ['Younger', 'Youngest', 'Default']) expect(teams[name]).toMatch(/^sb_team_[0-9a-f]{32}$/);
    expect(new Set(Object.values(teams)).size).toBe(5);

    const audit = await c.query<{ name: string; action: string; target: string; details: Record<string, unknown> }>(
      'SELECT t.name, a.action, a.target, a.details FROM audit_events a JOIN teams t ON t.id = a.team_id ORDER BY t.name',
    );
    expect(audit.rows).toEqual([
      {
        name: 'Default',
        action: 'composio.user_id_assigned',
        target: teams.Default,
        details: { previous: null, reason: 'server_default' },
      },
      {
        name: 'Younger',
        action: 'composio.user_id_assigned',
        target: teams.Younger,
        details: { previous: 'shared', reason: 'shared_with_another_team' },
      },
      {
        name: 'Youngest',
        action: 'composio.user_id_assigned',
        target: teams.Youngest,
        details: { previous: 'shared', reason: 'shared_with_another_team' },
      },
    ]);
    const duplicate = await c
      .query("UPDATE teams SET composio_user_id = 'shared' WHERE name = 'Own'")
      .catch((error: { code?: string }) => error.code);
    expect(duplicate).toBe('23505');
    const created = await c.query<{ composio_user_id: string }>("INSERT INTO teams (name) VALUES ('New') RETURNING composio_user_id");
    expect(created.rows[0]!.composio_user_id).toMatch(/^sb_team_[0-9a-f]{32}$/);
  });
}

describe('migration: each team owns one Composio user id', () => {
  it('on the embedded database: the oldest team keeps a shared id, the others get fresh ones, audited', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-migrate-ids-'));
    const embedded = await startEmbeddedDatabase(dir);
    try {
      await checkMigration(embedded.connectionString);
    } finally {
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const serverUrl = process.env.TEST_DATABASE_URL;
  // CI always runs it: .ci/run sets TEST_DATABASE_URL.
  itOnPostgres('on PostgreSQL: the same', async () => {
    const name = `switchboard_migrate_ids_${process.pid}_${Date.now()}`;
    await withClient(serverUrl!, (c) => c.query(`CREATE DATABASE ${name}`));
    const url = new URL(serverUrl!);
    url.pathname = `/${name}`;
    try {
      await checkMigration(url.toString());
    } finally {
      await withClient(serverUrl!, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });
});
