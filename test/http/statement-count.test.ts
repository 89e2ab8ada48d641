import { createAssistant, createUser, makeTestApp, signIn, type TestApp } from '../helpers/app';
import { createApiKeyConnection, createOAuth2Connection } from '../helpers/fixtures';

let t: TestApp;
const EXTRA_CATEGORY = 'Zz statement count';
beforeAll(() => {
  t = makeTestApp();
});
afterAll(async () => {
  await t.db.withOwner(async (tx) => {
    await tx.query('DELETE FROM prompt_integration WHERE integration_id IN (SELECT id FROM integrations WHERE category = $1)', [EXTRA_CATEGORY]);
    await tx.query('DELETE FROM api_key_connections WHERE integration_id IN (SELECT id FROM integrations WHERE category = $1)', [EXTRA_CATEGORY]);
    await tx.query('DELETE FROM integrations WHERE category = $1', [EXTRA_CATEGORY]);
  });
  await t.close();
});

/** Statements sent while serving one request. */
async function statementsFor(run: () => Promise<unknown>): Promise<number> {
  const before = t.statements.length;
  await run();
  return t.statements.length - before;
}

describe('the assistant integrations page', () => {
  it('is a constant number of SQL statements with 50 integrations and 200 connections', async () => {
    const user = await createUser(t.db);
    const assistant = await createAssistant(t.db, user.teamId);
    await createAssistant(t.db, user.teamId);
    const { agent } = await signIn(t.app, user);
    const url = `/app/team/${user.teamId}/assistant/${assistant.id}/integrations`;
    await createOAuth2Connection(t.db, user.teamId, 'gmail');

    const smallHtml = await statementsFor(() => agent.get(url).expect(200));
    const smallJson = await statementsFor(() => agent.get(url).set('Accept', 'application/json').expect(200));

    // Grow the catalog to 50 integrations (all taking API keys) and the team to 200 connections,
    // with many of them added to the assistant.
    const catalogSize = await t.db.withOwner((tx) => tx.one<{ n: number }>('SELECT count(*)::int AS n FROM integrations')).then((r) => r.n);
    const extra = await t.db.withOwner((tx) =>
      tx.query<{ id: number; slug: string }>(
        `INSERT INTO integrations (slug, label, icon, category, category_position, position, description, auth)
         SELECT 'stmt_' || g || '_' || $2, 'Extra ' || g, 'Ex', $1, 99, g, 'An extra integration', 'api_key' FROM generate_series(1, $3) AS g
         RETURNING id, slug`,
        [EXTRA_CATEGORY, user.teamId, 50 - catalogSize],
      ),
    );
    let connections = 1;
    for (const [index, integration] of extra.entries()) {
      const key = await createApiKeyConnection(t.db, user.teamId, integration.slug, `key ${index}`);
      connections++;
      if (index % 2 === 0) {
        await t.db.withOwner((tx) =>
          tx.query('INSERT INTO prompt_integration (team_id, prompt_id, integration_id, api_connection_id) VALUES ($1, $2, $3, $4)', [user.teamId, assistant.id, integration.id, key]),
        );
      }
    }
    while (connections < 200) {
      await createOAuth2Connection(t.db, user.teamId, connections % 2 ? 'github' : 'notion');
      connections++;
    }

    const large = await agent.get(url).set('Accept', 'application/json').expect(200);
    expect(large.body.integrations).toHaveLength(50);
    expect(large.body.integrations.filter((i: { connections: unknown[] }) => i.connections.length > 0).length).toBeGreaterThanOrEqual(extra.length);
    expect(await statementsFor(() => agent.get(url).expect(200))).toBe(smallHtml);
    expect(await statementsFor(() => agent.get(url).set('Accept', 'application/json').expect(200))).toBe(smallJson);
    // Session load and save, BEGIN, acting user, team, assistant, catalog, COMMIT.
    expect(smallJson).toBeLessThanOrEqual(9);
  });
});
