import { randomBytes } from 'node:crypto';
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
import { addToAssistant, createOAuth2Connection } from '../helpers/fixtures';
import { createEncryptedApiKey, createToken, mcpClient, textOf } from './helpers';

let fake: FakeComposio;
let t: TestApp;
let server: Served;
beforeAll(async () => {
  fake = await startFakeComposio();
  const composio = createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 400, executeTimeoutMs: 400, maxRetries: 0 });
  t = makeTestApp({ composio, config: { MCP_RATE_LIMIT: '3' } });
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
  assistant: { id: number };
  endpoint: string;
  token: string;
}

async function setUp(): Promise<Setup> {
  const user = await createUser(t.db);
  await t.db.withOwner((tx) => tx.query('UPDATE teams SET composio_user_id = $2 WHERE id = $1', [user.teamId, `team-${user.teamId}`]));
  const assistant = await createAssistant(t.db, user.teamId);
  const session = await signIn(t.app, user);
  const token = await createToken(session, user.teamId, assistant.id);
  return { user, session, assistant, endpoint: `${server.base}/mcp/assistants/${assistant.id}`, token };
}

function rawCall(s: Setup, name: string, args: Record<string, unknown> = {}) {
  return fetch(s.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${s.token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
}

describe('an API-key connection', () => {
  it('passes the key to Composio as custom auth and nowhere else: not in answers, logs, call records or audit rows', async () => {
    const s = await setUp();
    const key = `tvly-${randomBytes(12).toString('hex')}`;
    const keyId = await createEncryptedApiKey(t.db, s.user.teamId, 'tavily', key);
    await addToAssistant(t.db, s.user.teamId, s.assistant.id, 'tavily', { api: keyId });
    const client = await mcpClient(s.endpoint, s.token);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['TAVILY_SEARCH']);

    const ok = await client.callTool({ name: 'TAVILY_SEARCH', arguments: { query: 'switchboard' } });
    expect(ok.isError).toBeFalsy();
    expect(JSON.parse(textOf(ok)).query).toBe('switchboard');
    expect(fake.executions[0]).toMatchObject({
      slug: 'TAVILY_SEARCH',
      userId: `team-${s.user.teamId}`,
      connectedAccountId: null,
      customAuthParams: { parameters: [{ name: 'Authorization', in: 'header', value: `Bearer ${key}` }] },
    });

    // Upstream messages that quote the key do not carry it back.
    fake.setTools(fake.tools.map((tool) => (tool.slug === 'TAVILY_SEARCH' ? { ...tool, failsWith: `Key ${key} was rejected` } : tool)));
    const failed = await client.callTool({ name: 'TAVILY_SEARCH', arguments: { query: 'x' } });
    expect(textOf(failed)).toBe('Tavily Search reported an error: Key [redacted] was rejected');
    fake.failNext(1, { status: 401, message: `Invalid header Bearer ${key}` });
    const refused = await client.callTool({ name: 'TAVILY_SEARCH', arguments: { query: 'x' } });
    expect(textOf(refused)).toBe('Composio could not run TAVILY_SEARCH: Invalid header Bearer [redacted].');
    await client.close();

    const page = await s.session.agent.get(`/app/team/${s.user.teamId}/assistant/${s.assistant.id}/integrations`);
    const calls = await s.session.agent
      .get(`/app/team/${s.user.teamId}/assistant/${s.assistant.id}/mcp/calls`)
      .set('Accept', 'application/json');
    expect(calls.body.calls).toHaveLength(3);
    const stored = await t.db.withOwner(async (tx) => [
      await tx.query('SELECT * FROM mcp_tool_calls WHERE team_id = $1', [s.user.teamId]),
      await tx.query('SELECT * FROM audit_events WHERE team_id = $1', [s.user.teamId]),
      await tx.query('SELECT * FROM api_key_connections WHERE team_id = $1', [s.user.teamId]),
    ]);
    for (const text of [page.text, JSON.stringify(calls.body), JSON.stringify(t.logs), JSON.stringify(stored)])
      expect(text).not.toContain(key);
    expect(t.logs.length).toBeGreaterThan(0);
  });
});

describe('the rate limit', () => {
  it('answers 429 past MCP_RATE_LIMIT tool calls a minute per token, and counts only tool calls', async () => {
    const s = await setUp();
    await addToAssistant(t.db, s.user.teamId, s.assistant.id, 'calculator');
    const client = await mcpClient(s.endpoint, s.token);
    for (let i = 0; i < 5; i++) await client.listTools();
    for (let i = 1; i <= 3; i++)
      expect(textOf(await client.callTool({ name: 'CALCULATOR_EVALUATE', arguments: { expression: `${i} + 1` } }))).toBe(String(i + 1));
    await expect(client.callTool({ name: 'CALCULATOR_EVALUATE', arguments: { expression: '1' } })).rejects.toMatchObject({ code: 429 });
    await client.close();
    const res = await rawCall(s, 'CALCULATOR_EVALUATE', { expression: '1' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect((await res.json()).error.message).toMatch(/may make 3 a minute/);

    // Another token of the same assistant has its own allowance.
    const other = { ...s, token: await createToken(s.session, s.user.teamId, s.assistant.id, 'Second client') };
    expect((await rawCall(other, 'CALCULATOR_EVALUATE', { expression: '2 * 2' })).status).toBe(200);
  });
});

describe('statements per tools/list', () => {
  it('do not grow with the number of added integrations', async () => {
    const s = await setUp();
    await addToAssistant(t.db, s.user.teamId, s.assistant.id, 'calculator');
    // One tools/list with the cache fresh (another test file may age the shared cache meanwhile:
    // a listing that had to fetch from Composio is repeated).
    const listOnce = async (): Promise<{ statements: number; tools: number }> => {
      for (let attempt = 1; ; attempt++) {
        const fetches = fake.requests.length;
        const measured = await measure();
        if (fake.requests.length === fetches || attempt === 3) return measured;
      }
    };
    const measure = async () => {
      const before = t.statements.length;
      const res = await fetch(s.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${s.token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      const body = await res.json();
      return { statements: t.statements.length - before, tools: (body.result.tools as { name: string }[]).length };
    };
    await listOnce();
    const small = await listOnce();
    expect(small.tools).toBe(1);

    // Every other integration of the catalog, each with a working connection.
    const slugs = await t.db.withOwner((tx) =>
      tx.query<{ slug: string; auth: string }>("SELECT slug, auth FROM integrations WHERE slug <> 'calculator'"),
    );
    for (const { slug, auth } of slugs) {
      if (auth === 'none') await addToAssistant(t.db, s.user.teamId, s.assistant.id, slug);
      else if (auth === 'api_key')
        await addToAssistant(t.db, s.user.teamId, s.assistant.id, slug, {
          api: await createEncryptedApiKey(t.db, s.user.teamId, slug, `key-${slug}`),
        });
      else
        await addToAssistant(t.db, s.user.teamId, s.assistant.id, slug, {
          oauth2: await createOAuth2Connection(t.db, s.user.teamId, slug),
        });
    }
    await listOnce(); // fetches the new toolkits' tools into the cache
    const large = await listOnce();
    expect(large.tools).toBeGreaterThanOrEqual(9);
    expect(large.statements).toBe(small.statements);
    // Authenticate (BEGIN, role, token, COMMIT), then the tools (BEGIN, scope, one query, COMMIT).
    expect(small.statements).toBe(8);
  });
});
