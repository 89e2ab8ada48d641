import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, type Database } from '../../server/db';
import { startEmbeddedDatabase } from '../../server/db/embedded';
import { migrate } from '../../server/db/migrate';
import { readTogether } from '../../server/db/together';
import { listApiKeyIntegrationsWithKeys } from '../../server/connections/queries';
import { createUser, testDatabaseUrl, type TestUser } from '../helpers/app';
import { createApiKeyConnection } from '../helpers/fixtures';
import { itOnPostgres } from '../helpers/postgres-only';

/**
 * The pages' reads go out as named prepared statements on a PostgreSQL server
 * (docs/decisions/020-prepared-page-reads.md). A plan is prepared once per connection and then run
 * for whoever the next request acts as: row-level security must still apply to that person.
 */

let db: Database;
let a: TestUser;
let b: TestUser;

beforeAll(async () => {
  // One connection, so every transaction below runs on the session that prepared the statement.
  db = createDatabase({ connectionString: testDatabaseUrl(), description: 'prepared test', maxConnections: 1, prepare: 'per-connection' });
  a = await createUser(db);
  b = await createUser(db);
  await createApiKeyConnection(db, a.teamId, 'tavily', 'A key');
  await createApiKeyConnection(db, b.teamId, 'tavily', 'B key');
});
afterAll(() => db.close());

const keyLabels = (user: TestUser, teamId: number) =>
  db.withUser(user.userId, async (tx) => {
    const [integrations] = await readTogether(tx, (batch) => [listApiKeyIntegrationsWithKeys(batch, teamId)]);
    const statements = await tx.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'sb\\_%'");
    return { labels: integrations.flatMap((i) => i.keys.map((k) => k.label)), prepared: statements.map((s) => s.name) };
  });

itOnPostgres('a statement prepared for one person answers the next person with their own rows, and nothing of the first', async () => {
  const first = await keyLabels(a, a.teamId);
  expect(first.labels).toEqual(['A key']);
  // The read, and the statement that sets the acting user's teams (prepared once, run for everyone).
  expect(first.prepared).toHaveLength(2);
  expect(first.prepared).toContain('sb_teams_of_user');

  // Same connection, same prepared statement, another person.
  const second = await keyLabels(b, b.teamId);
  expect(second.labels).toEqual(['B key']);
  expect(second.prepared).toEqual(first.prepared);

  // Asking for the other team's rows through the prepared plan finds nothing.
  expect((await keyLabels(b, a.teamId)).labels).toEqual([]);
  expect((await keyLabels(a, b.teamId)).labels).toEqual([]);
  // Run more than five times, so PostgreSQL may have switched to its generic plan: still walled.
  for (let i = 0; i < 6; i++) expect((await keyLabels(i % 2 ? a : b, a.teamId)).labels).toEqual(i % 2 ? ['A key'] : []);
});

it('a database opened without `prepare` sends the same reads unnamed', async () => {
  const sent: string[] = [];
  const plain = createDatabase({
    connectionString: testDatabaseUrl(),
    description: 'unprepared test',
    maxConnections: 1,
    onStatement: (sql) => sent.push(sql),
  });
  try {
    // The embedded test database is one session for every test file: another file's statements may
    // be prepared there, so only the texts this database sent are looked for.
    const found = await plain.withUser(a.userId, async (tx) => {
      const [integrations] = await readTogether(tx, (batch) => [listApiKeyIntegrationsWithKeys(batch, a.teamId)]);
      expect(integrations.flatMap((i) => i.keys.map((k) => k.label))).toEqual(['A key']);
      return tx.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = ANY ($1)', [[...sent]]);
    });
    expect(sent.some((sql) => sql.includes('api_key_connections'))).toBe(true);
    expect(found).toEqual([]);
  } finally {
    await plain.close();
  }
});

describe('on the embedded database (one session for every connection)', () => {
  it('clears what an earlier connection prepared before a new one prepares the same statement, and stays walled', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-prepared-'));
    const embedded = await startEmbeddedDatabase(dir);
    const own = createDatabase({
      connectionString: embedded.connectionString,
      description: 'embedded prepared',
      maxConnections: 1,
      prepare: 'one-session',
    });
    try {
      await migrate(embedded.connectionString);
      const c = await createUser(own);
      const d = await createUser(own);
      await createApiKeyConnection(own, c.teamId, 'tavily', 'C key');
      await createApiKeyConnection(own, d.teamId, 'tavily', 'D key');
      const labels = (user: TestUser, teamId: number) =>
        own.withUser(user.userId, async (tx) => {
          const [integrations] = await readTogether(tx, (batch) => [listApiKeyIntegrationsWithKeys(batch, teamId)]);
          const statements = await tx.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'sb\\_%'");
          return { labels: integrations.flatMap((i) => i.keys.map((k) => k.label)), prepared: statements.length };
        });

      // The read, and the statement that sets the acting user's teams.
      expect(await labels(c, c.teamId)).toEqual({ labels: ['C key'], prepared: 2 });
      expect(await labels(d, d.teamId)).toEqual({ labels: ['D key'], prepared: 2 });
      expect(await labels(d, c.teamId)).toEqual({ labels: [], prepared: 2 });

      // The pool's connection goes away (idle timeout, a network blip); the session keeps the
      // statement, and the next connection would collide with it if it were not cleared first.
      const client = await own.pool.connect();
      client.release(true);
      expect(await labels(c, c.teamId)).toEqual({ labels: ['C key'], prepared: 2 });

      expect(() =>
        createDatabase({
          connectionString: embedded.connectionString,
          description: 'two on one session',
          maxConnections: 2,
          prepare: 'one-session',
        }),
      ).toThrow(/needs maxConnections: 1/);
    } finally {
      await own.close();
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
