import { createDatabase, type Database } from '../../server/db';
import { readTogetherAsUser } from '../../server/db/together';
import { listApiKeyIntegrationsWithKeys } from '../../server/connections/queries';
import { createUser, testDatabaseUrl, type TestUser } from '../helpers/app';
import { createApiKeyConnection } from '../helpers/fixtures';

/**
 * Read-only pages in one round trip (docs/decisions/023-read-only-pages-in-one-round-trip.md):
 * BEGIN, the acting user, the read and COMMIT in one simple-protocol query, whose parameters go in
 * as quoted literals. Both ways the app sends it: EXECUTE of a statement prepared once per
 * connection (a PostgreSQL server), and the read with its literals in place (the embedded test
 * database, which several pools share).
 */

const NASTY = [
  "O'Brien",
  "it''s",
  "back\\slash \\' E\\x41",
  '$1 $2 $10',
  "'; DROP TABLE teams; --",
  '/* not a comment */ -- nor this',
  'tab\tnew\nline',
  'ünïcødé “quotes” …',
  '',
];

let a: TestUser;
let b: TestUser;
const databases: Record<string, Database> = {};

beforeAll(async () => {
  databases.prepared = createDatabase({
    connectionString: testDatabaseUrl(),
    description: 'prepared',
    maxConnections: 1,
    prepare: 'per-connection',
  });
  databases.inline = createDatabase({ connectionString: testDatabaseUrl(), description: 'inline', maxConnections: 1 });
  a = await createUser(databases.inline);
  b = await createUser(databases.inline);
  await createApiKeyConnection(databases.inline, a.teamId, 'tavily', 'A key');
  await createApiKeyConnection(databases.inline, b.teamId, 'tavily', 'B key');
});
afterAll(async () => {
  for (const db of Object.values(databases)) await db.close();
});

// The embedded test database is one session for every pool: a prepared statement there would be
// seen by the others, so the prepared way runs only on a PostgreSQL server (test/db/prepared.test.ts
// covers the embedded database's own way).
const ways = process.env.TEST_DATABASE_URL ? ['prepared', 'inline'] : ['inline'];

describe.each(ways)('readAsUser, %s', (way) => {
  const db = () => databases[way]!;

  it('hands every string back exactly as it was sent, whatever quotes, backslashes or $n it holds', async () => {
    for (const value of NASTY) {
      const rows = await db().readAsUser<{ s: string; n: number; t: boolean; z: null }>(
        a.userId,
        'SELECT $1::text AS s, $2::int AS n, $3::boolean AS t, $4::text AS z',
        [value, 42, true, null],
      );
      expect(rows).toEqual([{ s: value, n: 42, t: true, z: null }]);
    }
    const teams = await db().withOwner((tx) => tx.one<{ n: number }>('SELECT count(*)::int AS n FROM teams'));
    expect(teams.n).toBeGreaterThanOrEqual(2);
  });

  it('runs as the acting user under row-level security, in a transaction of its own', async () => {
    const [integrations] = await readTogetherAsUser(db(), a.userId, (batch) => [listApiKeyIntegrationsWithKeys(batch, b.teamId)]);
    expect(integrations.flatMap((i) => i.keys)).toEqual([]);
    const [own] = await readTogetherAsUser(db(), a.userId, (batch) => [listApiKeyIntegrationsWithKeys(batch, a.teamId)]);
    expect(own.flatMap((i) => i.keys.map((k) => k.label))).toEqual(['A key']);
    const rows = await db().readAsUser<{ role: string; user_id: string; team_ids: string }>(
      b.userId,
      "SELECT current_user AS role, current_setting('app.user_id') AS user_id, current_setting('app.team_ids') AS team_ids",
      [],
    );
    expect(rows).toEqual([{ role: 'switchboard_app', user_id: String(b.userId), team_ids: `{${b.teamId}}` }]);
  });

  it('refuses a write: the read is one statement, and a data-modifying one cannot be read together', async () => {
    await expect(readTogetherAsUser(db(), a.userId, (batch) => [batch.query('DELETE FROM assistants RETURNING id')])).rejects.toThrow(
      /syntax error|DELETE/,
    );
  });

  it('recovers from a statement that fails: rolled back, and the next read on the connection works', async () => {
    await expect(db().readAsUser(a.userId, 'SELECT 1 / $1::int AS x', [0])).rejects.toThrow(/division by zero/);
    expect(await db().readAsUser(a.userId, 'SELECT 1 / $1::int AS x', [1])).toEqual([{ x: 1 }]);
    const state = await db().withOwner((tx) => tx.one<{ s: string }>("SELECT coalesce(current_setting('app.user_id', true), '') AS s"));
    expect(state.s).toBe('');
  });

  it('refuses parameters it cannot quote, before anything is sent', async () => {
    await expect(db().readAsUser(a.userId, 'SELECT $1::text AS s', [{ not: 'a string' }])).rejects.toThrow(TypeError);
    await expect(db().readAsUser(a.userId, 'SELECT $1::int AS s', [Number.NaN])).rejects.toThrow(TypeError);
    expect(await db().readAsUser(a.userId, 'SELECT 2 AS x', [])).toEqual([{ x: 2 }]);
  });
});
