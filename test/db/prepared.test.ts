import { createDatabase, type Database } from '../../server/db';
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
  db = createDatabase({ connectionString: testDatabaseUrl(), description: 'prepared test', maxConnections: 1, prepare: true });
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
  expect(first.prepared).toHaveLength(1);

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

it('the embedded database and a database opened without `prepare` send the same reads unnamed', async () => {
  const plain = createDatabase({ connectionString: testDatabaseUrl(), description: 'unprepared test', maxConnections: 1 });
  try {
    const names = await plain.withUser(a.userId, async (tx) => {
      const [integrations] = await readTogether(tx, (batch) => [listApiKeyIntegrationsWithKeys(batch, a.teamId)]);
      expect(integrations.flatMap((i) => i.keys.map((k) => k.label))).toEqual(['A key']);
      return tx.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    });
    expect(names).toEqual([]);
  } finally {
    await plain.close();
  }
});
