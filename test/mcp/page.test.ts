import type { FakeComposio } from '../fakes/composio-server';
import { createAssistant, createUser, flashText, signIn, type SignedIn, type TestApp, type TestUser } from '../helpers/app';
import { startAppWithFakeComposio } from '../helpers/composio-app';
import { listToolSources } from '../../server/mcp/queries';
import { addTeamMember, addToAssistant, createOAuth2Connection, integrationId } from '../helpers/fixtures';

let fake: FakeComposio;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ fake, t, close } = await startAppWithFakeComposio({ timeoutMs: 400, maxRetries: 0 }));
});
afterAll(() => close());
beforeEach(() => fake.reset());

interface Setup {
  user: TestUser;
  session: SignedIn;
  assistant: { id: number };
  page: string;
  mcp: string;
}

async function setUp(): Promise<Setup> {
  const user = await createUser(t.db);
  const assistant = await createAssistant(t.db, user.teamId);
  await addToAssistant(t.db, user.teamId, assistant.id, 'github', { oauth2: await createOAuth2Connection(t.db, user.teamId, 'github') });
  const session = await signIn(t.app, user);
  const base = `/app/team/${user.teamId}/assistant/${assistant.id}`;
  return { user, session, assistant, page: `${base}/integrations`, mcp: `${base}/mcp` };
}

const form = (s: Setup, url: string, body: Record<string, unknown> = {}) =>
  s.session.agent
    .post(url)
    .type('form')
    .send({ ...body, _csrf: s.session.csrf });
const json = (s: Setup, url: string, body: Record<string, unknown> = {}) =>
  s.session.agent.post(url).set('Accept', 'application/json').set('X-CSRF-Token', s.session.csrf).send(body);

describe('the tool lists on the assistant page', () => {
  it('are fetched from Composio on request; a failure keeps what was there and says so', async () => {
    const s = await setUp();
    // The cache is shared by every test file, so this one does not assume GitHub's tools are missing.
    const res = await form(s, `${s.mcp}/tools-refresh`);
    expect(res.status).toBe(303);
    expect(fake.requests.filter((r) => r.path === '/api/v3.1/tools').map((r) => r.query.toolkit_slug)).toEqual(['github']);
    let page = await s.session.agent.get(res.headers.location!.replace(/#.*$/, ''));
    expect(flashText(page.text)).toEqual(['Fetched the tool lists of 1 integration from Composio.']);
    expect(page.text).toMatch(/name="tools" value="GITHUB_CREATE_ISSUE" checked/);

    fake.failAlways({ status: 500, message: 'Composio is down' });
    const failed = await form(s, `${s.mcp}/tools-refresh`);
    page = await s.session.agent.get(failed.headers.location!.replace(/#.*$/, ''));
    expect(flashText(page.text)[0]).toMatch(/^Could not fetch every tool list from Composio \(github: Composio is down\)/);
    expect(page.text).toMatch(/name="tools" value="GITHUB_CREATE_ISSUE" checked/);
  });

  it("show each tool's name and description without reading its input schema", async () => {
    const s = await setUp();
    await form(s, `${s.mcp}/tools-refresh`);
    const stored = await t.db.withOwner((tx) =>
      tx.one<{ schemas: number }>(
        "SELECT count(*)::int AS schemas FROM composio_tools WHERE toolkit = 'github' AND input_schema <> '{}'::jsonb",
      ),
    );
    expect(stored.schemas).toBeGreaterThan(0); // there are schemas to leave out
    const page = await s.session.agent.get(s.page);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/name="tools" value="GITHUB_CREATE_ISSUE" checked/);
    const scope = { teamId: s.user.teamId, assistantId: s.assistant.id };
    const schemasOf = (inputSchemas: boolean) =>
      t.db.withUser(s.user.userId, async (tx) =>
        (await listToolSources(tx, scope, { inputSchemas })).flatMap((source) => source.tools.map((tool) => tool.inputSchema)),
      );
    expect((await schemasOf(true)).some((schema) => Object.keys(schema).length > 0)).toBe(true); // the MCP server's
    expect(await schemasOf(false)).toEqual((await schemasOf(true)).map(() => ({}))); // the page's
  });

  it('take only tools of the integration, and only for an integration on this assistant of this team', async () => {
    const s = await setUp();
    await form(s, `${s.mcp}/tools-refresh`);
    const github = await integrationId(t.db, 'github');
    const unknown = await json(s, `${s.mcp}/tools/${github}`, { tools: ['GITHUB_LIST_ISSUES', 'GMAIL_SEND_EMAIL'] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.message).toBe('"GMAIL_SEND_EMAIL" is not a tool of GitHub.');
    // The form (a tool list that changed since the page was loaded) gets the page again, the message atop that form.
    const refused = await form(s, `${s.mcp}/tools/${github}`, { tools: ['GMAIL_SEND_EMAIL'] });
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(
      new RegExp(
        `<form[^>]*id="tools-${github}-form"[^>]*>\\s*<div class="form-errors" id="tools-${github}-form-errors" role="alert" tabindex="-1" autofocus>[^]*?<li>&#34;GMAIL_SEND_EMAIL&#34; is not a tool of GitHub.</li>`,
      ),
    );
    expect((await json(s, `${s.mcp}/tools/${await integrationId(t.db, 'notion')}`, { tools: [] })).status).toBe(404);
    const other = await setUp();
    expect(
      (await json(s, `/app/team/${other.user.teamId}/assistant/${other.assistant.id}/mcp/tools/${github}`, { tools: [] })).status,
    ).toBe(404);
    expect((await json(s, `${s.mcp}/tools/abc`, { tools: [] })).status).toBe(400);
    const stored = await t.db.withOwner((tx) =>
      tx.query<{ allowed_tools: string[] | null }>('SELECT allowed_tools FROM assistant_integrations WHERE assistant_id = $1', [
        s.assistant.id,
      ]),
    );
    expect(stored).toEqual([{ allowed_tools: null }]);

    const saved = await json(s, `${s.mcp}/tools/${github}`, { tools: ['GITHUB_LIST_ISSUES'] });
    expect(saved.body.message).toMatch(/may use 1 of 2 GitHub tools/);
    const audit = await t.db.withOwner((tx) =>
      tx.one<{ details: { denied: string[] } }>(
        "SELECT details FROM audit_events WHERE team_id = $1 AND action = 'assistant.tools_changed'",
        [s.user.teamId],
      ),
    );
    expect(audit.details.denied).toEqual(['GITHUB_CREATE_ISSUE']);
  });
});

describe('tokens and calls on the page', () => {
  it('shows members the tokens read-only, without create, revoke or save buttons', async () => {
    const s = await setUp();
    await json(s, `${s.mcp}/tokens`, { name: 'Agent' });
    const member = await createUser(t.db, { role: 'member' });
    await addTeamMember(t.db, s.user.teamId, member.userId);
    const session = await signIn(t.app, member);
    const page = await session.agent.get(s.page);
    expect(page.text).toContain('<td>Agent</td>');
    expect(page.text).not.toContain('Create token');
    expect(page.text).not.toMatch(/Revoke<span class="visually-hidden"> token/);
    const tokenId = await t.db
      .withOwner((tx) => tx.one<{ id: number }>('SELECT id FROM assistant_tokens WHERE assistant_id = $1', [s.assistant.id]))
      .then((r) => r.id);
    const res = await session.agent
      .post(`${s.mcp}/tokens/${tokenId}/revoke`)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', session.csrf);
    expect(res.status).toBe(403);
  });

  it('lists the last 20 calls with a link to all, which pages back through older ones', async () => {
    const s = await setUp();
    await t.db.withOwner((tx) =>
      tx.query(
        `INSERT INTO mcp_tool_calls (team_id, assistant_id, token_name, tool, outcome, duration_ms, created_at)
         SELECT $1, $2, 'Agent', 'TOOL_' || g, 'success', g, now() - (76 - g) * interval '1 second' FROM generate_series(1, 75) AS g`,
        [s.user.teamId, s.assistant.id],
      ),
    );
    const page = await s.session.agent.get(s.page);
    const tools = [...page.text.matchAll(/<code>(TOOL_\d+)<\/code>/g)].map((m) => m[1]);
    expect(tools).toHaveLength(20);
    expect(tools[0]).toBe('TOOL_75');
    expect(page.text).toContain(`<a href="${s.mcp}/calls">All tool calls</a>`);
    const first = await s.session.agent.get(`${s.mcp}/calls`).set('Accept', 'application/json');
    expect(first.body.calls).toHaveLength(50);
    expect(first.body.more).toBe(true);
    const older = await s.session.agent.get(`${s.mcp}/calls?before=${first.body.calls[49].id}`).set('Accept', 'application/json');
    expect(older.body.calls.map((c: { tool: string }) => c.tool)[0]).toBe('TOOL_25');
    expect(older.body.more).toBe(false);
    const html = await s.session.agent.get(`${s.mcp}/calls`);
    expect(html.text).toMatch(/Older calls/);
    expect((await s.session.agent.get(`${s.mcp}/calls?before=x`)).status).toBe(400);
  });
});
