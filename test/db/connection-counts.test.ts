import type pg from 'pg';
import type { Database, Tx } from '../../server/db';
import { migrate } from '../../server/db/migrate';
import { createAssistant, createUser, makeTestApp, signIn, type TestApp, type TestUser } from '../helpers/app';
import { createApiKeyConnection, createOAuth2Connection } from '../helpers/fixtures';
import { migrationsAfter, onEmbeddedDatabase, onNewServerDatabase, runMigrations, withClient } from '../helpers/migrations';
import { itOnPostgres } from '../helpers/postgres-only';
import { seededRandom } from '../helpers/random';

/**
 * connection_counts is kept by triggers on the connection tables (migrations/1764900000000, docs/
 * decisions/029-connection-counts.md): whatever changes the connections, the counts must be what
 * counting the connections gives.
 */
let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

// A type, not an interface: query rows are records.
type Counts = {
  team_id: number;
  integration_id: number;
  api_keys: number;
  oauth2_usable: number;
  oauth2_present: number;
  oauth2_active: number;
};

const NOT_ALL_ZERO = 'NOT (api_keys = 0 AND oauth2_usable = 0 AND oauth2_present = 0 AND oauth2_active = 0)';

const KEPT = `
  SELECT team_id, integration_id, api_keys, oauth2_usable, oauth2_present, oauth2_active
    FROM connection_counts WHERE team_id = ANY ($1::int[]) AND ${NOT_ALL_ZERO}
   ORDER BY team_id, integration_id`;

/** The same counts, counted from the connections themselves. */
const COUNTED = `
  SELECT team_id, integration_id, sum(k)::int AS api_keys, sum(u)::int AS oauth2_usable, sum(p)::int AS oauth2_present, sum(a)::int AS oauth2_active
    FROM (SELECT team_id, integration_id, 1 AS k, 0 AS u, 0 AS p, 0 AS a FROM api_key_connections WHERE team_id = ANY ($1::int[])
          UNION ALL
          SELECT team_id, integration_id, 0,
                 (enabled AND revoked_at IS NULL AND disconnected_at IS NULL AND composio_status = 'ACTIVE' AND NOT composio_disabled)::int,
                 (revoked_at IS NULL AND disconnected_at IS NULL)::int,
                 (revoked_at IS NULL AND disconnected_at IS NULL AND composio_status = 'ACTIVE' AND NOT composio_disabled)::int
            FROM oauth2_connections WHERE team_id = ANY ($1::int[])) c
   GROUP BY team_id, integration_id
  HAVING NOT (sum(k) = 0 AND sum(u) = 0 AND sum(p) = 0 AND sum(a) = 0)
   ORDER BY team_id, integration_id`;

async function keptAndCounted(db: Database, teamIds: number[]): Promise<{ kept: Counts[]; counted: Counts[] }> {
  return db.withOwner(async (tx) => ({
    kept: await tx.query<Counts>(KEPT, [teamIds]),
    counted: await tx.query<Counts>(COUNTED, [teamIds]),
  }));
}

const STATUSES = ['ACTIVE', 'ACTIVE', 'EXPIRED', 'FAILED', 'INITIATED'];

describe('connection counts', () => {
  it('equal the connections after every kind of change, one statement or many rows at a time (seeded)', async () => {
    const users = [await createUser(t.db), await createUser(t.db)];
    const teams = users.map((u) => u.teamId);
    const integrations = (await t.db.withOwner((tx) => tx.query<{ id: number }>('SELECT id FROM integrations ORDER BY id LIMIT 5'))).map(
      (r) => r.id,
    );
    const random = seededRandom(29);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const chance = (p: number) => random() < p;
    const accountIds = Array.from({ length: 12 }, (_, i) => `ca_counts_${i}`);
    const randomAccount = () => ({
      status: pick(STATUSES),
      enabled: chance(0.8),
      disabled: chance(0.15),
      revoked: chance(0.1),
      disconnected: chance(0.1),
    });

    const steps: Record<string, (tx: Tx) => Promise<unknown>> = {
      addKeys: (tx) =>
        tx.query(
          `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
           SELECT $1, $2, 'key ' || g, 'not-a-real-ciphertext', '••••test' FROM generate_series(1, $3) g`,
          [pick(teams), pick(integrations), 1 + Math.floor(random() * 3)],
        ),
      deleteKeysOfIntegration: (tx) =>
        tx.query('DELETE FROM api_key_connections WHERE team_id = $1 AND integration_id = $2', [pick(teams), pick(integrations)]),
      deleteOneKey: (tx) =>
        tx.query(
          'DELETE FROM api_key_connections WHERE id = (SELECT id FROM api_key_connections WHERE team_id = ANY ($1) ORDER BY random() LIMIT 1)',
          [teams],
        ),
      moveKey: (tx) =>
        tx.query(
          `UPDATE api_key_connections SET integration_id = $2
            WHERE id = (SELECT id FROM api_key_connections WHERE team_id = ANY ($1) ORDER BY id LIMIT 1)`,
          [teams, pick(integrations)],
        ),
      relabelKeys: (tx) => tx.query("UPDATE api_key_connections SET label = left(label || '.', 100) WHERE team_id = $1", [pick(teams)]),
      upsertAccounts: (tx) => {
        const rows = Array.from({ length: 1 + Math.floor(random() * 6) }, () => ({
          id: pick(accountIds),
          integration: pick(integrations),
          ...randomAccount(),
        }));
        const unique = [...new Map(rows.map((r) => [r.id, r])).values()]; // ON CONFLICT may touch a row once per statement
        return tx.query(
          `INSERT INTO oauth2_connections AS o (team_id, integration_id, composio_account_id, composio_toolkit, composio_status, composio_disabled,
                                                enabled, connected_at, composio_updated_at, revoked_at, disconnected_at)
           SELECT $1, r.integration_id, r.account_id, 'counts', r.status, r.disabled, r.enabled, now(), now(),
                  CASE WHEN r.revoked THEN now() END, CASE WHEN r.disconnected THEN now() END
             FROM unnest($2::int[], $3::text[], $4::text[], $5::bool[], $6::bool[], $7::bool[], $8::bool[])
                  AS r(integration_id, account_id, status, disabled, enabled, revoked, disconnected)
           ON CONFLICT (team_id, composio_account_id) DO UPDATE SET
             integration_id = EXCLUDED.integration_id, composio_status = EXCLUDED.composio_status,
             composio_disabled = EXCLUDED.composio_disabled, disconnected_at = EXCLUDED.disconnected_at`,
          [
            pick(teams),
            unique.map((r) => r.integration),
            unique.map((r) => r.id),
            unique.map((r) => r.status),
            unique.map((r) => r.disabled),
            unique.map((r) => r.enabled),
            unique.map((r) => r.revoked),
            unique.map((r) => r.disconnected),
          ],
        );
      },
      toggleEnabled: (tx) =>
        tx.query('UPDATE oauth2_connections SET enabled = NOT enabled WHERE team_id = $1 AND integration_id = $2', [
          pick(teams),
          pick(integrations),
        ]),
      revoke: (tx) =>
        tx.query('UPDATE oauth2_connections SET revoked_at = now() WHERE team_id = $1 AND integration_id = $2 AND revoked_at IS NULL', [
          pick(teams),
          pick(integrations),
        ]),
      vanishOrReturn: (tx) =>
        tx.query(
          'UPDATE oauth2_connections SET disconnected_at = CASE WHEN disconnected_at IS NULL THEN now() END WHERE team_id = $1 AND composio_account_id = ANY ($2)',
          [pick(teams), [pick(accountIds), pick(accountIds)]],
        ),
      expireAll: (tx) => tx.query('UPDATE oauth2_connections SET composio_status = $2 WHERE team_id = $1', [pick(teams), pick(STATUSES)]),
      bothTeamsAtOnce: (tx) =>
        tx.query(
          'UPDATE oauth2_connections SET composio_disabled = NOT composio_disabled WHERE team_id = ANY ($1) AND integration_id = $2',
          [teams, pick(integrations)],
        ),
      deleteAccounts: (tx) =>
        tx.query('DELETE FROM oauth2_connections WHERE team_id = $1 AND composio_account_id = ANY ($2)', [
          pick(teams),
          [pick(accountIds), pick(accountIds)],
        ]),
      touchNothingCounted: (tx) => tx.query('UPDATE oauth2_connections SET last_synced_at = now() WHERE team_id = $1', [pick(teams)]),
      updateNoRows: (tx) => tx.query('UPDATE oauth2_connections SET enabled = false WHERE id = -1'),
    };
    // Accounts arrive more often than anything takes them away, so the team has some in every state.
    const names = [...Object.keys(steps), 'upsertAccounts', 'upsertAccounts', 'upsertAccounts', 'addKeys'];

    const reached = new Set<string>();
    for (let step = 0; step < 160; step++) {
      const name = pick(names);
      const as = pick(['owner', 'user', 'rolled back'] as const);
      if (as === 'owner') await t.db.withOwner((tx) => steps[name]!(tx));
      else if (as === 'user') {
        // The same statements as a signed-in admin of both teams, through row-level security.
        const user = users[step % 2]!;
        await t.db
          .withUser(user.userId, (tx) => steps[name]!(tx))
          .catch((error: unknown) => {
            // A statement that names the other team is refused by row-level security: nothing changes.
            if (!/row-level security/.test(String(error))) throw error;
          });
      } else {
        const before = await keptAndCounted(t.db, teams);
        await expect(
          t.db.withOwner(async (tx) => {
            await steps[name]!(tx);
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        expect((await keptAndCounted(t.db, teams)).kept).toEqual(before.kept);
      }
      const { kept, counted } = await keptAndCounted(t.db, teams);
      for (const row of counted) {
        for (const [column, value] of Object.entries(row)) if (value > 0) reached.add(column);
        // States that tell the counts apart: active but disabled here; present but not active.
        if (row.oauth2_active > row.oauth2_usable) reached.add('active, not usable');
        if (row.oauth2_present > row.oauth2_active) reached.add('present, not active');
      }
      if (JSON.stringify(kept) !== JSON.stringify(counted))
        throw new Error(`after step ${step} (${name} as ${as}): ${JSON.stringify({ kept, counted })}`);
    }
    // The run reached every kind of count, so the comparisons above compared something.
    expect([...reached].sort()).toEqual([
      'active, not usable',
      'api_keys',
      'integration_id',
      'oauth2_active',
      'oauth2_present',
      'oauth2_usable',
      'present, not active',
      'team_id',
    ]);
  }, 120_000);

  it('stay right when many connections of one integration change at once', async () => {
    const user = await createUser(t.db);
    const keys = await Promise.all(Array.from({ length: 6 }, (_, i) => createApiKeyConnection(t.db, user.teamId, 'tavily', `old ${i}`)));
    const accounts = await Promise.all(Array.from({ length: 6 }, () => createOAuth2Connection(t.db, user.teamId, 'gmail')));
    await Promise.all([
      ...Array.from({ length: 16 }, (_, i) => createApiKeyConnection(t.db, user.teamId, 'tavily', `new ${i}`)),
      ...keys.map((id) => t.db.withOwner((tx) => tx.query('DELETE FROM api_key_connections WHERE id = $1', [id]))),
      ...accounts.map((id, i) =>
        t.db.withOwner((tx) =>
          tx.query('UPDATE oauth2_connections SET enabled = $2, composio_status = $3 WHERE id = $1', [id, i % 2 === 0, 'ACTIVE']),
        ),
      ),
      ...Array.from({ length: 6 }, () => createOAuth2Connection(t.db, user.teamId, 'gmail', { status: 'EXPIRED' })),
    ]);
    const { kept, counted } = await keptAndCounted(t.db, [user.teamId]);
    expect(kept).toEqual(counted);
    expect(
      kept.map(({ api_keys, oauth2_usable, oauth2_present, oauth2_active }) => [api_keys, oauth2_usable, oauth2_present, oauth2_active]),
    ).toEqual(
      expect.arrayContaining([
        [16, 0, 0, 0],
        [0, 3, 12, 6],
      ]),
    );
  });

  it("are shown only to the team's members, and only the triggers write them", async () => {
    const a = await createUser(t.db);
    const b = await createUser(t.db);
    await createApiKeyConnection(t.db, a.teamId, 'tavily');
    await createApiKeyConnection(t.db, b.teamId, 'tavily');
    const seen = await t.db.withUser(a.userId, (tx) => tx.query<{ team_id: number }>('SELECT DISTINCT team_id FROM connection_counts'));
    expect(seen).toEqual([{ team_id: a.teamId }]);

    const refused = (sql: string, params: unknown[]) => t.db.withUser(a.userId, (tx) => tx.query(sql, params));
    await expect(
      refused('INSERT INTO connection_counts (team_id, integration_id, api_keys) SELECT $1, id, 5 FROM integrations LIMIT 1', [a.teamId]),
    ).rejects.toThrow(/permission denied/);
    await expect(refused('UPDATE connection_counts SET api_keys = 9 WHERE team_id = $1', [a.teamId])).rejects.toThrow(/permission denied/);
    await expect(refused('DELETE FROM connection_counts WHERE team_id = $1', [b.teamId])).rejects.toThrow(/permission denied/);
    await expect(
      refused('SELECT add_connection_counts(ARRAY[ROW($1, (SELECT min(id) FROM integrations), 5, 0, 0, 0)::connection_counts])', [
        b.teamId,
      ]),
    ).rejects.toThrow(/permission denied/);
    // Adding a key to the other team is refused by row-level security; its counts stay as they were.
    await expect(
      refused(
        `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
         SELECT $1, id, 'sneaky', 'x', 'x' FROM integrations WHERE slug = 'tavily'`,
        [b.teamId],
      ),
    ).rejects.toThrow(/row-level security/);
    for (const user of [a, b]) {
      const { kept, counted } = await keptAndCounted(t.db, [user.teamId]);
      expect(kept).toEqual(counted);
      expect(kept.map((row) => row.api_keys)).toEqual([1]);
    }
  });

  it('go with a team that is deleted, connections and all', async () => {
    const doomed: TestUser = await createUser(t.db);
    const kept: TestUser = await createUser(t.db);
    for (const user of [doomed, kept]) {
      await createApiKeyConnection(t.db, user.teamId, 'tavily');
      await createOAuth2Connection(t.db, user.teamId, 'gmail');
    }
    await t.db.withOwner((tx) => tx.query('DELETE FROM teams WHERE id = $1', [doomed.teamId]));
    const rows = await t.db.withOwner((tx) =>
      tx.query<{ team_id: number }>('SELECT team_id FROM connection_counts WHERE team_id = ANY ($1)', [[doomed.teamId, kept.teamId]]),
    );
    expect(rows.map((r) => r.team_id)).toEqual([kept.teamId, kept.teamId]);
    const after = await keptAndCounted(t.db, [kept.teamId]);
    expect(after.kept).toEqual(after.counted);
  });
});

describe('connection counts through the app', () => {
  it('follow a burst of keys added and deleted at once, and the assistant page shows them', async () => {
    const user = await createUser(t.db);
    const other = await createUser(t.db);
    const assistant = await createAssistant(t.db, user.teamId);
    const old = await Promise.all([1, 2, 3].map((i) => createApiKeyConnection(t.db, user.teamId, 'tavily', `old ${i}`)));
    const othersKey = await createApiKeyConnection(t.db, other.teamId, 'tavily');
    const s = await signIn(t.app, user);
    const team = `/app/team/${user.teamId}/integrations`;
    const tavilyRow = async () => {
      const html = (await s.agent.get(`/app/team/${user.teamId}/assistant/${assistant.id}/integrations`)).text;
      return html.split('id="integration-tavily"')[1]!.split('</li>')[0]!;
    };
    const deleteKey = (id: number) => s.agent.post(`${team}/api-keys/${id}/delete`).type('form').send({ _csrf: s.csrf });

    const answers = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        s.agent
          .post(`${team}/tavily/api-keys`)
          .type('form')
          .send({ label: `burst ${i}`, key: `tvly-burst-0123456789-${i}`, _csrf: s.csrf }),
      ),
      ...old.map(deleteKey),
      deleteKey(othersKey), // another team's key, through this team's URL
    ]);
    expect(answers.map((res) => res.status)).toEqual([...Array(13).fill(303), 404]);
    for (const teamId of [user.teamId, other.teamId]) {
      const { kept, counted } = await keptAndCounted(t.db, [teamId]);
      expect(kept).toEqual(counted);
    }
    expect((await keptAndCounted(t.db, [user.teamId])).kept.map((row) => row.api_keys)).toEqual([10]);
    expect((await keptAndCounted(t.db, [other.teamId])).kept.map((row) => row.api_keys)).toEqual([1]);
    expect(await tavilyRow()).toContain('Available');

    const burst = await t.db.withOwner((tx) =>
      tx.query<{ id: number }>('SELECT id FROM api_key_connections WHERE team_id = $1', [user.teamId]),
    );
    expect((await Promise.all(burst.map((key) => deleteKey(key.id)))).map((res) => res.status)).toEqual(Array(10).fill(303));
    expect((await keptAndCounted(t.db, [user.teamId])).kept).toEqual([]);
    expect(await tavilyRow()).toContain('Needs a connection');
  });
});

describe('migration: connection counts', () => {
  async function check(url: string): Promise<void> {
    await migrate(url);
    // Down past the counts and every migration after them; then the counts go up and down on their own.
    const after = migrationsAfter('1764900000000');
    await runMigrations(url, 'down', after + 1);
    await withClient(url, async (c) => {
      expect((await c.query("SELECT 1 FROM pg_tables WHERE tablename = 'connection_counts'")).rows).toEqual([]);
      // Connections that were there before the counts.
      await c.query("INSERT INTO teams (name, composio_user_id) VALUES ('Before', 'sb-before')");
      const team = (await c.query<{ id: number }>("SELECT id FROM teams WHERE name = 'Before'")).rows[0]!.id;
      await c.query(
        `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
         SELECT $1, id, 'k' || g, 'x', 'x' FROM integrations, generate_series(1, 2) g WHERE slug IN ('tavily', 'github')`,
        [team],
      );
      await c.query(
        `INSERT INTO oauth2_connections (team_id, integration_id, composio_account_id, composio_toolkit, composio_status, enabled, connected_at, composio_updated_at)
         SELECT $1, id, 'ca_' || slug || g, slug, CASE WHEN g = 1 THEN 'ACTIVE' ELSE 'EXPIRED' END, g <> 3, now(), now()
           FROM integrations, generate_series(1, 3) g WHERE slug IN ('gmail', 'github')`,
        [team],
      );
    });
    await runMigrations(url, 'up', 1);
    const counts = (c: pg.Client) =>
      c.query<Counts>(
        `SELECT team_id, integration_id, api_keys, oauth2_usable, oauth2_present, oauth2_active FROM connection_counts WHERE ${NOT_ALL_ZERO} ORDER BY 1, 2`,
      );
    await withClient(url, async (c) => {
      const teams = (await c.query<{ id: number }>('SELECT id FROM teams')).rows.map((r) => r.id);
      const counted = await c.query<Counts>(COUNTED, [teams]);
      expect((await counts(c)).rows).toEqual(counted.rows);
      expect(counted.rows.map((r) => [r.api_keys, r.oauth2_usable, r.oauth2_present, r.oauth2_active]).sort()).toEqual(
        [
          [0, 1, 3, 1], // gmail: one ACTIVE (enabled), two EXPIRED
          [2, 0, 0, 0], // tavily
          [2, 1, 3, 1], // github: both kinds
        ].sort(),
      );
      // TRUNCATE has no row events: the counts of that kind become zero.
      await c.query('TRUNCATE oauth2_connections CASCADE');
      expect((await counts(c)).rows.map((r) => [r.api_keys, r.oauth2_usable, r.oauth2_present, r.oauth2_active]).sort()).toEqual(
        [
          [2, 0, 0, 0],
          [2, 0, 0, 0],
        ].sort(),
      );
    });
    await runMigrations(url, 'down', 1);
    await withClient(url, async (c) => {
      expect((await c.query("SELECT 1 FROM pg_tables WHERE tablename = 'connection_counts'")).rows).toEqual([]);
      expect((await c.query("SELECT 1 FROM pg_proc WHERE proname LIKE '%connection_count%'")).rows).toEqual([]);
      await c.query(
        "INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint) SELECT min(t.id), min(i.id), 'after', 'x', 'x' FROM teams t, integrations i",
      );
    });
    await runMigrations(url, 'up', 1);
    await withClient(url, async (c) => {
      const teams = (await c.query<{ id: number }>('SELECT id FROM teams')).rows.map((r) => r.id);
      expect((await counts(c)).rows).toEqual((await c.query<Counts>(COUNTED, [teams])).rows);
    });
  }

  it(
    'goes up and down on the embedded database, counting the connections already there',
    () => onEmbeddedDatabase('switchboard-counts-', check),
    120_000,
  );
  itOnPostgres(
    'goes up and down on PostgreSQL, counting the connections already there',
    () => onNewServerDatabase('switchboard_counts', check),
    120_000,
  );
});
