import { createComposioGateway } from '../../server/composio/client';
import { startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import {
  createAssistant,
  createUser,
  makeTestApp,
  serveApp,
  signIn,
  type Served,
  type SignedIn,
  type TestApp,
  type TestUser,
} from '../helpers/app';
import { addTeamMember, addToAssistant, createOAuth2Connection } from '../helpers/fixtures';
import { createToken, mcpClient, textOf } from './helpers';

let fake: FakeComposio;
let t: TestApp;
let server: Served;
beforeAll(async () => {
  fake = await startFakeComposio();
  const composio = createComposioGateway({
    apiKey: fake.apiKey,
    baseURL: fake.url,
    timeoutMs: 400,
    executeTimeoutMs: 400,
    maxRetries: 1,
    retryDelayMs: 10,
    maxRetryAfterMs: 200,
  });
  t = makeTestApp({ composio });
  server = await serveApp(t.app);
});
afterAll(async () => {
  await server.close();
  await t.close();
  await fake.close();
});
beforeEach(() => fake.reset());

interface Setup {
  user: TestUser;
  session: SignedIn;
  assistant: { id: number; name: string };
  endpoint: string;
  token: string;
  gmailAccount: string;
  gmailConnection: number;
}

/** A team with its own Composio user id, an assistant with Gmail (an active account) and the Calculator, and a token. */
async function setUp(): Promise<Setup> {
  const user = await createUser(t.db);
  const composioUserId = `team-${user.teamId}`;
  await t.db.withOwner((tx) => tx.query('UPDATE teams SET composio_user_id = $2 WHERE id = $1', [user.teamId, composioUserId]));
  const gmailAccount = `ca_${user.teamId}_gmail`;
  fake.setAccounts([...fake.accounts, { id: gmailAccount, userId: composioUserId, toolkit: 'gmail' }]);
  const gmailConnection = await createOAuth2Connection(t.db, user.teamId, 'gmail', { accountId: gmailAccount });
  const assistant = await createAssistant(t.db, user.teamId, 'Sales Assistant');
  await addToAssistant(t.db, user.teamId, assistant.id, 'gmail', { oauth2: gmailConnection });
  await addToAssistant(t.db, user.teamId, assistant.id, 'calculator');
  const session = await signIn(t.app, user);
  const token = await createToken(session, user.teamId, assistant.id);
  return { user, session, assistant, endpoint: `${server.base}/mcp/assistants/${assistant.id}`, token, gmailAccount, gmailConnection };
}

const toolNames = async (s: Setup) => {
  const client = await mcpClient(s.endpoint, s.token);
  try {
    return (await client.listTools()).tools.map((tool) => tool.name).sort();
  } finally {
    await client.close();
  }
};

async function call(s: Setup, name: string, args: Record<string, unknown> = {}) {
  const client = await mcpClient(s.endpoint, s.token);
  try {
    return await client.callTool({ name, arguments: args });
  } finally {
    await client.close();
  }
}

const calls = (s: Setup) =>
  t.db.withOwner((tx) =>
    tx.query<{ token_name: string; tool: string; outcome: string; reason: string | null; duration_ms: number }>(
      'SELECT token_name, tool, outcome, reason, duration_ms FROM mcp_tool_calls WHERE assistant_id = $1 ORDER BY id',
      [s.assistant.id],
    ),
  );

/** A signed-in session's cookie, taken from the real sign-in form's answer. */
async function sessionCookie(user: TestUser): Promise<string> {
  const login = await fetch(`${server.base}/login`);
  const first = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /<meta name="csrf-token" content="([^"]*)"/.exec(await login.text())![1]!;
  const res = await fetch(`${server.base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: first },
    body: new URLSearchParams({ email: user.email, password: user.password, _csrf: csrf }),
    redirect: 'manual',
  });
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** A raw POST, for status codes the SDK client turns into exceptions. */
function rawPost(
  endpoint: string,
  headers: Record<string, string>,
  body: unknown = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
) {
  return fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

describe('the MCP endpoint', () => {
  it('initializes and lists the tools of the added integrations, fetched from Composio once and then cached', async () => {
    const s = await setUp();
    // The cache is shared by every test file: make Gmail's definitions old, whatever ran before.
    await t.db.withOwner((tx) =>
      tx.query("UPDATE composio_toolkit_fetches SET fetched_at = now() - interval '2 days' WHERE toolkit = 'gmail'"),
    );
    const client = await mcpClient(s.endpoint, s.token);
    expect(client.getServerVersion()?.name).toBe('switchboard');
    const tools = (await client.listTools()).tools;
    await client.close();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['CALCULATOR_EVALUATE', 'GMAIL_FETCH_EMAILS', 'GMAIL_SEND_EMAIL']);
    const send = tools.find((tool) => tool.name === 'GMAIL_SEND_EMAIL')!;
    expect(Object.keys(send).sort()).toEqual(['description', 'inputSchema', 'name']);
    expect(send.inputSchema).toMatchObject({ type: 'object', required: ['recipient_email', 'body'] });
    const listings = fake.requests.filter((r) => r.path === '/api/v3.1/tools');
    expect(listings.map((r) => r.query.toolkit_slug)).toEqual(['gmail']);

    expect(await toolNames(s)).toEqual(['CALCULATOR_EVALUATE', 'GMAIL_FETCH_EMAILS', 'GMAIL_SEND_EMAIL']);
    expect(fake.requests.filter((r) => r.path === '/api/v3.1/tools')).toHaveLength(1);
  });

  it('refreshes definitions older than a day, and serves the cached ones while Composio is down', async () => {
    const s = await setUp();
    await toolNames(s);
    const ageCache = () =>
      t.db.withOwner((tx) =>
        tx.query("UPDATE composio_toolkit_fetches SET fetched_at = now() - interval '25 hours' WHERE toolkit = 'gmail'"),
      );
    await ageCache();
    fake.setTools(fake.tools.filter((tool) => tool.slug !== 'GMAIL_SEND_EMAIL'));
    expect(await toolNames(s)).toEqual(['CALCULATOR_EVALUATE', 'GMAIL_FETCH_EMAILS']);

    await ageCache();
    fake.failAlways({ status: 503, message: 'Service unavailable' });
    expect(await toolNames(s)).toEqual(['CALCULATOR_EVALUATE', 'GMAIL_FETCH_EMAILS']);
    expect(fake.requests.filter((r) => r.path === '/api/v3.1/tools').length).toBeGreaterThanOrEqual(3);
  });

  it('runs a Composio tool as the team’s Composio user with the chosen account, and records the call without its arguments', async () => {
    const s = await setUp();
    const result = await call(s, 'GMAIL_SEND_EMAIL', { recipient_email: 'ana@example.com', body: 'private words' });
    expect(textOf(result)).not.toMatch(/error|not/i);
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toEqual({ id: 'msg_sent_1', to: 'ana@example.com', status: 'sent' });
    expect(fake.executions).toEqual([
      expect.objectContaining({
        slug: 'GMAIL_SEND_EMAIL',
        userId: `team-${s.user.teamId}`,
        connectedAccountId: s.gmailAccount,
        customAuthParams: null,
        version: '20260101_00',
      }),
    ]);
    const recorded = await calls(s);
    expect(recorded).toEqual([
      expect.objectContaining({ token_name: 'Test client', tool: 'GMAIL_SEND_EMAIL', outcome: 'success', reason: null }),
    ]);
    const everything = await t.db.withOwner((tx) => tx.query('SELECT * FROM mcp_tool_calls WHERE assistant_id = $1', [s.assistant.id]));
    expect(JSON.stringify(everything)).not.toContain('private words');
  });

  it('runs the built-in calculator without Composio', async () => {
    const s = await setUp();
    const result = await call(s, 'CALCULATOR_EVALUATE', { expression: '0.1 + 0.2' });
    expect(textOf(result)).toBe('0.3');
    const refused = await call(s, 'CALCULATOR_EVALUATE', { expression: 'import({}, {})' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/not available in the calculator/);
    expect(fake.executions).toEqual([]);
  });

  it('neither lists nor runs a tool an admin unticked, and says so', async () => {
    const s = await setUp();
    await toolNames(s); // loads Gmail's tools into the cache, so the form lists them
    const gmailId = await t.db
      .withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM integrations WHERE slug = 'gmail'"))
      .then((r) => r.id);
    const saved = await s.session.agent
      .post(`/app/team/${s.user.teamId}/assistant/${s.assistant.id}/mcp/tools/${gmailId}`)
      .type('form')
      .send({ tools: 'GMAIL_FETCH_EMAILS', _csrf: s.session.csrf });
    expect(saved.status).toBe(303);
    expect(await toolNames(s)).toEqual(['CALCULATOR_EVALUATE', 'GMAIL_FETCH_EMAILS']);
    const result = await call(s, 'GMAIL_SEND_EMAIL', { recipient_email: 'x@example.com', body: 'hi' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/not allowed to use GMAIL_SEND_EMAIL/);
    expect(fake.executions).toEqual([]);
    expect((await calls(s)).map((c) => [c.outcome, c.reason])).toEqual([['refused', 'not_allowed']]);
  });

  it('refuses a tool whose integration was removed, without calling Composio', async () => {
    const s = await setUp();
    await toolNames(s);
    const gmailId = await t.db
      .withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM integrations WHERE slug = 'gmail'"))
      .then((r) => r.id);
    await s.session.agent
      .post(`/app/team/${s.user.teamId}/assistant/${s.assistant.id}/integrations/remove/${gmailId}`)
      .type('form')
      .send({ _csrf: s.session.csrf })
      .expect(303);
    const result = await call(s, 'GMAIL_FETCH_EMAILS');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/belongs to Gmail, which is not added to this assistant/);
    expect(fake.executions).toEqual([]);
    expect(await toolNames(s)).toEqual(['CALCULATOR_EVALUATE']);
  });

  it('refuses tools of a disabled, expired or revoked connection, without calling Composio', async () => {
    const s = await setUp();
    await toolNames(s);
    // The assistant uses Gmail, so the disable is confirmed (without confirm=yes it goes to the confirmation page).
    await s.session.agent
      .post(`/app/team/${s.user.teamId}/integrations/gmail/toggle`)
      .type('form')
      .send({ enabled: 'false', confirm: 'yes', _csrf: s.session.csrf })
      .expect(303);
    let result = await call(s, 'GMAIL_FETCH_EMAILS');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Gmail is disabled for this team in Switchboard, so GMAIL_FETCH_EMAILS was not run/);
    expect(await toolNames(s)).toEqual(['CALCULATOR_EVALUATE']);

    await t.db.withOwner((tx) =>
      tx.query("UPDATE oauth2_connections SET enabled = true, composio_status = 'EXPIRED' WHERE id = $1", [s.gmailConnection]),
    );
    result = await call(s, 'GMAIL_FETCH_EMAILS');
    expect(textOf(result)).toMatch(/has expired in Composio/);
    await t.db.withOwner((tx) =>
      tx.query("UPDATE oauth2_connections SET composio_status = 'ACTIVE', revoked_at = now() WHERE id = $1", [s.gmailConnection]),
    );
    result = await call(s, 'GMAIL_FETCH_EMAILS');
    expect(textOf(result)).toMatch(/was revoked/);
    expect(fake.executions).toEqual([]);
  });

  it('turns Composio failures (500, timeout, a failed tool) into tool errors and keeps serving', async () => {
    const s = await setUp();
    await toolNames(s);
    fake.failNext(1, { status: 500, message: 'Upstream exploded' });
    let result = await call(s, 'GMAIL_FETCH_EMAILS');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Composio could not run GMAIL_FETCH_EMAILS: Upstream exploded.');
    expect(fake.requests.filter((r) => r.path.startsWith('/api/v3.1/tools/execute'))).toHaveLength(1); // never retried

    fake.setDelayMs(1000);
    result = await call(s, 'GMAIL_FETCH_EMAILS');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/did not answer within 0.4 seconds/);
    fake.setDelayMs(0);

    fake.setTools(
      fake.tools.map((tool) => (tool.slug === 'GMAIL_FETCH_EMAILS' ? { ...tool, failsWith: 'Gmail API quota exceeded' } : tool)),
    );
    result = await call(s, 'GMAIL_FETCH_EMAILS');
    expect(textOf(result)).toBe('Gmail reported an error: Gmail API quota exceeded');

    fake.setTools(fake.tools.map((tool) => ({ ...tool, failsWith: undefined })));
    result = await call(s, 'GMAIL_FETCH_EMAILS');
    expect(result.isError).toBeFalsy();
    expect((await calls(s)).map((c) => c.reason)).toEqual(['composio_error', 'composio_timeout', 'tool_failed', null]);
  });

  it('serves the web page reader, which refuses loopback addresses with a tool error', async () => {
    const s = await setUp();
    await addToAssistant(t.db, s.user.teamId, s.assistant.id, 'web_browser');
    expect(await toolNames(s)).toContain('WEB_BROWSER_READ_PAGE');
    const result = await call(s, 'WEB_BROWSER_READ_PAGE', { url: `${server.base}/healthz` });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/127\.0\.0\.1 is a private, loopback, link-local or reserved address/);
    const missing = await call(s, 'WEB_BROWSER_READ_PAGE', {});
    expect(textOf(missing)).toMatch(/url must be text/);
    expect((await calls(s)).map((c) => [c.outcome, c.reason])).toEqual([
      ['error', 'page_refused'],
      ['error', 'bad_arguments'],
    ]);
  });

  it('says so for a tool it does not have', async () => {
    const s = await setUp();
    const result = await call(s, 'NO_SUCH_TOOL');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no tool named "NO_SUCH_TOOL"/);
  });
});

describe('tokens', () => {
  it('answers 401 alike for a missing, malformed, unknown or revoked token, and for a session cookie alone', async () => {
    const s = await setUp();
    const answers = async (headers: Record<string, string>) => {
      const res = await rawPost(s.endpoint, headers);
      return { status: res.status, body: await res.json() };
    };
    const missing = await answers({});
    expect(missing.status).toBe(401);
    expect(missing.body.error.message).toMatch(/valid assistant token/);
    expect(await answers({ authorization: 'Bearer nonsense' })).toEqual(missing);
    expect(await answers({ authorization: `Bearer sbm_${'A'.repeat(43)}` })).toEqual(missing);

    const cookie = await sessionCookie(s.user);
    const signedIn = await fetch(`${server.base}/app/team/${s.user.teamId}/assistants`, { headers: { cookie }, redirect: 'manual' });
    expect(signedIn.status).toBe(200); // the cookie is a working session elsewhere
    expect(await answers({ cookie })).toEqual(missing);

    const tokenId = await t.db
      .withOwner((tx) => tx.one<{ id: number }>('SELECT id FROM assistant_tokens WHERE assistant_id = $1', [s.assistant.id]))
      .then((r) => r.id);
    await s.session.agent
      .post(`/app/team/${s.user.teamId}/assistant/${s.assistant.id}/mcp/tokens/${tokenId}/revoke`)
      .type('form')
      .send({ _csrf: s.session.csrf })
      .expect(303);
    expect(await answers({ authorization: `Bearer ${s.token}` })).toEqual(missing);
    await expect(mcpClient(s.endpoint, s.token)).rejects.toMatchObject({ code: 401 });
  });

  it('answers 404 to a valid token on another assistant’s endpoint, of this team or another, and for ids that do not exist', async () => {
    const s = await setUp();
    const sibling = await createAssistant(t.db, s.user.teamId, 'Support Assistant');
    const other = await setUp();
    for (const id of [sibling.id, other.assistant.id, 2147483647, 'abc']) {
      const res = await rawPost(`${server.base}/mcp/assistants/${id}`, { authorization: `Bearer ${s.token}` });
      expect(res.status).toBe(404);
      expect((await res.json()).error.message).toBe('Not found.');
    }
    await expect(mcpClient(`${server.base}/mcp/assistants/${other.assistant.id}`, s.token)).rejects.toMatchObject({ code: 404 });
    expect(await toolNames(s)).toContain('GMAIL_FETCH_EMAILS');
  });

  it('stores only a hash, shows the prefix and last use, and audits creation and revocation', async () => {
    const s = await setUp();
    const row = await t.db.withOwner((tx) =>
      tx.one<{ token_hash: string; token_prefix: string; last_used_at: Date | null }>(
        'SELECT token_hash, token_prefix, last_used_at FROM assistant_tokens WHERE assistant_id = $1',
        [s.assistant.id],
      ),
    );
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.token_hash).not.toContain(s.token);
    expect(s.token.startsWith(row.token_prefix)).toBe(true);
    expect(row.last_used_at).toBeNull();
    await toolNames(s);
    const page = await s.session.agent.get(`/app/team/${s.user.teamId}/assistant/${s.assistant.id}/integrations`);
    expect(page.text).toContain(`${row.token_prefix}…`);
    expect(page.text).not.toContain(s.token);
    expect(page.text).not.toMatch(/<td>Never<\/td>/);
    const audit = await t.db.withOwner((tx) =>
      tx.query<{ action: string }>('SELECT action FROM audit_events WHERE team_id = $1 ORDER BY id', [s.user.teamId]),
    );
    expect(audit.map((a) => a.action)).toContain('assistant.token_created');
    expect(
      JSON.stringify(await t.db.withOwner((tx) => tx.query('SELECT * FROM audit_events WHERE team_id = $1', [s.user.teamId]))),
    ).not.toContain(s.token);
  });

  it('shows the new token once, on the answer to the form, and never stores the page', async () => {
    const s = await setUp();
    const res = await s.session.agent
      .post(`/app/team/${s.user.teamId}/assistant/${s.assistant.id}/mcp/tokens`)
      .type('form')
      .send({ name: 'Claude Desktop', _csrf: s.session.csrf });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const shown = /id="new-token" readonly value="(sbm_[^"]+)"/.exec(res.text)?.[1];
    expect(shown).toMatch(/^sbm_[A-Za-z0-9_-]{43}$/);
    const client = await mcpClient(s.endpoint, shown!);
    expect((await client.listTools()).tools.length).toBe(3);
    await client.close();
    const again = await s.session.agent.get(`/app/team/${s.user.teamId}/assistant/${s.assistant.id}/integrations`);
    expect(again.text).not.toContain(shown!);
  });

  it('lets only admins create tokens, and refuses an empty name in words', async () => {
    const s = await setUp();
    const member = await createUser(t.db, { role: 'member' });
    await addTeamMember(t.db, s.user.teamId, member.userId);
    const memberSession = await signIn(t.app, member);
    const url = `/app/team/${s.user.teamId}/assistant/${s.assistant.id}/mcp/tokens`;
    const forbidden = await memberSession.agent
      .post(url)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', memberSession.csrf)
      .send({ name: 'Mine' });
    expect(forbidden.status).toBe(403);
    const empty = await s.session.agent
      .post(url)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', s.session.csrf)
      .send({ name: '  ' });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/Give the token a name/);
    const duplicate = await s.session.agent
      .post(url)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', s.session.csrf)
      .send({ name: 'test CLIENT' });
    expect(duplicate.status).toBe(422);
    const count = await t.db.withOwner((tx) =>
      tx.one<{ n: number }>('SELECT count(*)::int AS n FROM assistant_tokens WHERE assistant_id = $1', [s.assistant.id]),
    );
    expect(count.n).toBe(1);
  });
});
