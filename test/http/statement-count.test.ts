import { createUser, makeTestApp, signIn, testDatabaseUrl, waitFor, type TestApp } from '../helpers/app';
import { integrationId, seedTeamData } from '../helpers/fixtures';
import { startStatementProxy, type StatementProxy } from '../helpers/statement-proxy';

/**
 * Statements per page as the database server receives them: the app's pool, the session store
 * included, talks to the database through a counting proxy (test/helpers/statement-proxy.ts).
 *
 * Every request that touches team data pays for its session and its transaction; each page adds
 * its own statements. When the session store or the transaction changes, adjust PER_REQUEST.
 */
const PER_REQUEST = {
  // Load the session; the touch is throttled, so a page seconds after the last one sends none.
  loaded: { session: 1 },
  // On a PostgreSQL server a signed-in session is kept in the process once loaded, while it listens
  // for changes to it (docs/decisions/032-kept-sessions-on-postgresql.md): none.
  kept: { session: 0 },
};
/**
 * Pages that only read send BEGIN, the acting user, the user's teams, their reads and COMMIT in one
 * round trip (docs/decisions/023-read-only-pages-in-one-round-trip.md).
 */
const PAGE_STATEMENTS = {
  assistantPage: 1, // the assistant with the catalog, MCP tokens, tool permissions and recent tool calls, read together
  assistantPageJson: 1, // the assistant with the catalog, each integration's connections listed
  picker: 1, // the assistant with the one integration and its first connections
  teamPage: 1, // providers (with used_by), API keys (first 10 per integration) and recent activity, read together
  teamJsonApi: 1, // providers (with used_by)
};

let proxy: StatementProxy;
/** The app as it runs: on a PostgreSQL server, sessions are kept (Database.notices). */
let t: TestApp;
/** The app with every session loaded from the database, as on the embedded test database. */
let loading: TestApp;
beforeAll(async () => {
  proxy = await startStatementProxy(testDatabaseUrl());
  t = makeTestApp({ databaseUrl: proxy.connectionString });
  loading = makeTestApp({ databaseUrl: proxy.connectionString, notices: false });
});
afterAll(async () => {
  await t.close();
  await loading.close();
  await proxy.close();
});

/** What the server received while one request was served. */
async function serverStatementsFor(run: () => Promise<unknown>): Promise<string[]> {
  const before = proxy.statements.length;
  await run();
  return proxy.statements.slice(before).map((s) => s.sql);
}

async function team(t: TestApp, units: number) {
  const user = await createUser(t.db);
  const seeded = await seedTeamData(t.db, user.teamId, units, 11);
  const { agent } = await signIn(t.app, user);
  const assistantPage = `/app/team/${user.teamId}/assistant/${seeded.assistants[0]}/integrations`;
  const github = await integrationId(t.db, 'github');
  const pages: Record<keyof typeof PAGE_STATEMENTS, () => Promise<unknown>> = {
    assistantPage: () => agent.get(assistantPage).expect(200),
    assistantPageJson: () => agent.get(assistantPage).set('Accept', 'application/json').expect(200),
    picker: () => agent.get(`${assistantPage}/add/${github}`).expect(200),
    teamPage: () => agent.get(`/app/team/${user.teamId}/integrations`).expect(200),
    teamJsonApi: () => agent.get(`/api/teams/${user.teamId}/integrations`).expect(200),
  };
  return { seeded, pages };
}

describe('statements per page, counted at the database server', () => {
  it.each([
    ['sessions kept', () => t, () => (t.db.notices ? PER_REQUEST.kept : PER_REQUEST.loaded)],
    ['sessions loaded on each request', () => loading, () => PER_REQUEST.loaded],
  ])('are the same for a team 10 times larger, and as many as budgeted (%s)', async (_name, app, perRequest) => {
    const small = await team(app(), 1);
    const large = await team(app(), 10);
    expect(large.seeded.connections).toBe(3000);
    const expected = (page: keyof typeof PAGE_STATEMENTS) => perRequest().session + PAGE_STATEMENTS[page];
    if (perRequest().session === 0) {
      // Kept once the process listens for changes to sessions, a moment after its first request.
      for (const { pages } of [small, large])
        await waitFor(async () => (await serverStatementsFor(pages.assistantPage)).length === expected('assistantPage'));
    }

    const measured: Record<string, { small: number; large: number }> = {};
    for (const page of Object.keys(PAGE_STATEMENTS) as (keyof typeof PAGE_STATEMENTS)[]) {
      await small.pages[page](); // a first visit may do one-off work (a new CSRF token in the session)
      await large.pages[page]();
      const smallSql = await serverStatementsFor(small.pages[page]);
      const largeSql = await serverStatementsFor(large.pages[page]);
      measured[page] = { small: smallSql.length, large: largeSql.length };
      // The session store's statements reach the server through the same pool: they are counted.
      expect(smallSql.filter((sql) => /\bsession\b/.test(sql))).toHaveLength(perRequest().session);
      expect(largeSql.length).toBe(smallSql.length);
    }
    const budget = Object.fromEntries(Object.keys(PAGE_STATEMENTS).map((page) => [page, expected(page as keyof typeof PAGE_STATEMENTS)]));
    expect(Object.fromEntries(Object.entries(measured).map(([page, n]) => [page, n.small]))).toEqual(budget);
  });

  it('counts what the server receives: one statement sent is one counted', async () => {
    const before = proxy.statements.length;
    await t.db.pool.query('SELECT 1');
    await t.db.pool.query('SELECT $1::int', [2]);
    expect(proxy.statements.slice(before)).toEqual([
      { kind: 'Q', sql: 'SELECT 1' },
      { kind: 'E', sql: 'SELECT $1::int' },
    ]);
  });
});
