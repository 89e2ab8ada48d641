import { createAssistant, createUser, decodeEntities, makeTestApp, signIn, type TestApp } from '../helpers/app';
import { addTeamMember, createApiKeyConnection, createOAuth2Connection, integrationId } from '../helpers/fixtures';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

async function addIntegration(
  teamId: number,
  assistantId: number,
  slug: string,
  connection: { api?: number | null; oauth2?: number | null },
) {
  await t.db.withOwner((tx) =>
    tx.query(
      'INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id, oauth2_connection_id) VALUES ($1, $2, (SELECT id FROM integrations WHERE slug = $3), $4, $5)',
      [teamId, assistantId, slug, connection.api ?? null, connection.oauth2 ?? null],
    ),
  );
}

describe('health where people look', () => {
  it('the Assistants list says how many integrations need attention, per assistant, and links to the page', async () => {
    const user = await createUser(t.db);
    const broken = await createAssistant(t.db, user.teamId, 'Broken one');
    const healthy = await createAssistant(t.db, user.teamId, 'Healthy one');
    const expired = await createOAuth2Connection(t.db, user.teamId, 'gmail', { status: 'EXPIRED' });
    const working = await createOAuth2Connection(t.db, user.teamId, 'notion');
    const key = await createApiKeyConnection(t.db, user.teamId, 'tavily');
    await addIntegration(user.teamId, broken.id, 'gmail', { oauth2: expired });
    await addIntegration(user.teamId, broken.id, 'tavily', { api: key });
    await t.db.withOwner((tx) => tx.query('DELETE FROM api_key_connections WHERE id = $1', [key])); // the assistant keeps the row, without a connection
    await addIntegration(user.teamId, broken.id, 'calculator', {});
    await addIntegration(user.teamId, healthy.id, 'notion', { oauth2: working });
    await addIntegration(user.teamId, healthy.id, 'calculator', {});

    const session = await signIn(t.app, user);
    const page = decodeEntities((await session.agent.get(`/app/team/${user.teamId}/assistants`)).text);
    expect(page).toContain(
      `<a href="/app/team/${user.teamId}/assistant/${broken.id}/integrations">2 integrations need attention<span class="visually-hidden"> on Broken one</span></a>`,
    );
    expect(page.match(/need(s)? attention/g)).toHaveLength(1);
    // The nav counts the providers that need a reconnect (Gmail).
    expect(page).toMatch(
      />Integrations<\/a><span class="nav-count">1<span class="visually-hidden"> integration needs a reconnect<\/span><\/span>/,
    );
  });

  it("counts the page's own team only: a member of two teams sees each team's count on its own pages", async () => {
    const user = await createUser(t.db);
    const other = await createUser(t.db); // a second team, with an expired Gmail account
    await addTeamMember(t.db, other.teamId, user.userId);
    await createOAuth2Connection(t.db, other.teamId, 'gmail', { status: 'EXPIRED' });
    await createOAuth2Connection(t.db, other.teamId, 'notion', { status: 'EXPIRED' });
    await createOAuth2Connection(t.db, user.teamId, 'gmail');
    const assistant = await createAssistant(t.db, user.teamId);
    const otherAssistant = await createAssistant(t.db, other.teamId);
    const session = await signIn(t.app, user);
    // withTeam (the assistants list) and readInTeam (an assistant's page, the team page) alike.
    const pagesOf = (teamId: number, assistantId: number) => [
      `/app/team/${teamId}/assistants`,
      `/app/team/${teamId}/assistant/${assistantId}/integrations`,
      `/app/team/${teamId}/integrations`,
    ];
    const navCounts = async (teamId: number, assistantId: number) =>
      Promise.all(
        pagesOf(teamId, assistantId).map(async (url) => {
          const res = await session.agent.get(url);
          expect(res.status).toBe(200);
          return (
            /<span class="nav-count">(\d+)<span class="visually-hidden"> integrations? needs? a reconnect/.exec(
              decodeEntities(res.text),
            )?.[1] ?? 'none'
          );
        }),
      );
    expect(await navCounts(user.teamId, assistant.id)).toEqual(['none', 'none', 'none']);
    expect(await navCounts(other.teamId, otherAssistant.id)).toEqual(['2', '2', '2']);

    // An integration without Composio toolkits is not on the team page the count points to (no
    // sync or Connect Link makes accounts for it), so an account row left there does not count.
    await createOAuth2Connection(t.db, other.teamId, 'tavily', { status: 'EXPIRED' });
    expect(await navCounts(other.teamId, otherAssistant.id)).toEqual(['2', '2', '2']);
    const teamPage = await session.agent.get(`/app/team/${other.teamId}/integrations`).set('Accept', 'application/json');
    const reconnect = (teamPage.body.providers as { provider: string; status: string }[]).filter((p) => p.status === 'needs_reconnect');
    expect(reconnect.map((p) => p.provider).sort()).toEqual(['gmail', 'notion']);
  });

  it('shows no nav count when every connection works, and the list stays a constant number of statements', async () => {
    const user = await createUser(t.db);
    await createOAuth2Connection(t.db, user.teamId, 'gmail');
    const session = await signIn(t.app, user);
    const count = async () => {
      t.statements.length = 0;
      const res = await session.agent.get(`/app/team/${user.teamId}/assistants`);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('nav-count');
      return t.statements.filter((s) => !/session/i.test(s)).length;
    };
    const few = await count();
    const gmailId = await integrationId(t.db, 'gmail');
    expect(gmailId).toBeGreaterThan(0);
    for (let i = 0; i < 30; i++) {
      const a = await createAssistant(t.db, user.teamId);
      await addIntegration(user.teamId, a.id, 'gmail', {});
    }
    expect(await count()).toBe(few);
  });
});
