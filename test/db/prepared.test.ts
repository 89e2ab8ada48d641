import pg from 'pg';
import { createDatabase, type Database } from '../../server/db';
import { migrate } from '../../server/db/migrate';
import { readTogether, readTogetherAsUser } from '../../server/db/together';
import { listApiKeyIntegrationsWithKeys } from '../../server/connections/queries';
import { createUser, testDatabaseUrl, type TestUser } from '../helpers/app';
import { createApiKeyConnection } from '../helpers/fixtures';
import { onEmbeddedDatabase } from '../helpers/migrations';
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
  it('prepares each statement once for the session, for every connection, and answers each connection its own rows', async () => {
    await onEmbeddedDatabase('switchboard-prepared-', async (url) => {
      const sent: string[] = [];
      const open = () =>
        createDatabase({
          connectionString: url,
          description: 'embedded prepared',
          maxConnections: 4,
          prepare: 'one-session',
          onStatement: (sql) => sent.push(sql),
        });
      const own = open();
      try {
        await migrate(url);
        const c = await createUser(own);
        const d = await createUser(own);
        await createApiKeyConnection(own, c.teamId, 'tavily', 'C key');
        await createApiKeyConnection(own, d.teamId, 'tavily', 'D key');
        const read = (database: Database, user: TestUser, teamId: number) =>
          readTogetherAsUser(database, user.userId, (batch) => [listApiKeyIntegrationsWithKeys(batch, teamId)]).then(([integrations]) =>
            integrations.flatMap((i) => i.keys.map((k) => k.label)),
          );
        const prepares = () => sent.filter((sql) => sql.startsWith('PREPARE')).length;

        // A burst on all four connections, two people and both teams: each answer is the asker's.
        const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => read(own, i % 2 ? c : d, i % 4 < 2 ? c.teamId : d.teamId)));
        burst.forEach((labels, i) => expect(labels).toEqual(i % 2 ? (i % 4 < 2 ? ['C key'] : []) : i % 4 < 2 ? [] : ['D key']));
        expect(own.pool.totalCount).toBeGreaterThan(1);
        // The read and the statement that sets the acting user's teams, once each for the session.
        expect(prepares()).toBe(2);
        const held = await own.withOwner((tx) =>
          tx.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'sb%\\_%'"),
        );
        expect(held).toHaveLength(2);

        // A connection that goes away (idle timeout, a network blip): the session keeps the statements.
        const client = await own.pool.connect();
        client.release(true);
        expect(await read(own, c, c.teamId)).toEqual(['C key']);
        // Another pool on the same session finds them there (the names are the texts' digests).
        const other = open();
        try {
          expect(await read(other, d, d.teamId)).toEqual(['D key']);
        } finally {
          await other.close();
        }
        expect(prepares()).toBe(4);
      } finally {
        await own.close();
      }
    });
  }, 90_000);

  it("keeps each connection's exchanges whole: parameterized queries in parallel, and a transaction that holds the session", async () => {
    await onEmbeddedDatabase('switchboard-exchanges-', async (url) => {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      try {
        // Parse, Bind, Execute and Sync of four connections at once: each gets its own value back
        // (the answers of another connection's statement, or "unnamed prepared statement does not exist", otherwise).
        const answers = await Promise.all(
          // Texts that differ, so a Bind that reached another connection's statement would show.
          Array.from({ length: 200 }, (_, i) => pool.query(`SELECT $1::int AS n, $2::text AS s${i % 7}`, [i, `v${i}`])),
        );
        answers.forEach((answer, i) => expect(answer.rows).toEqual([{ n: i, [`s${i % 7}`]: `v${i}` }]));

        await pool.query('CREATE TABLE held (n int)');
        // One connection's transaction holds the session: another's statement waits for its COMMIT.
        const holder = await pool.connect();
        await holder.query('BEGIN');
        await holder.query('INSERT INTO held VALUES (1)');
        let counted: number | undefined;
        const waiting = pool.query<{ count: number }>('SELECT count(*)::int AS count FROM held').then((r) => (counted = r.rows[0]!.count));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(counted).toBeUndefined();
        await holder.query('INSERT INTO held VALUES (2)');
        await holder.query('COMMIT');
        holder.release();
        await waiting;
        expect(counted).toBe(2);

        // A connection that goes away inside its transaction: it is rolled back, and the others go on.
        const lost = await pool.connect();
        await lost.query('BEGIN');
        await lost.query('INSERT INTO held VALUES (3)');
        const after = pool.query<{ count: number }>('SELECT count(*)::int AS count FROM held');
        lost.release(true);
        expect((await after).rows).toEqual([{ count: 2 }]);
      } finally {
        await pool.end();
      }
    });
  }, 90_000);
});
