import { createAssistant, createUser, flashText, makeTestApp, signIn, type SignedIn, type TestApp, type TestUser } from '../helpers/app';
import {
  addToAssistant,
  auditActions,
  createApiKeyConnection,
  createOAuth2Connection,
  integrationId,
  assistantIntegrations,
} from '../helpers/fixtures';

let t: TestApp;
let ids: Record<string, number>;
beforeAll(async () => {
  t = makeTestApp();
  ids = {};
  for (const slug of ['gmail', 'github', 'tavily', 'calculator', 'notion', 'linear', 'googledocs'])
    ids[slug] = await integrationId(t.db, slug);
});
afterAll(() => t.close());

interface Setup {
  user: TestUser;
  session: SignedIn;
  assistant: { id: number; name: string };
  page: string;
}

async function setUp(role: 'admin' | 'member' = 'admin'): Promise<Setup> {
  const user = await createUser(t.db, { role });
  const assistant = await createAssistant(t.db, user.teamId, 'Sales Assistant');
  const session = await signIn(t.app, user);
  return { user, session, assistant, page: `/app/team/${user.teamId}/assistant/${assistant.id}/integrations` };
}

type Way = 'form' | 'htmx' | 'json';
const WAYS: Way[] = ['form', 'htmx', 'json'];

/** Posts a form the way a plain browser, htmx or a JSON client would. */
function post(s: Setup, way: Way, url: string, body: Record<string, unknown> = {}) {
  const req = s.session.agent.post(url);
  if (way === 'json') return req.set('Accept', 'application/json').set('X-CSRF-Token', s.session.csrf).send(body);
  if (way === 'htmx')
    return req.set('HX-Request', 'true').set('HX-Boosted', 'true').set('X-CSRF-Token', s.session.csrf).type('form').send(body);
  return req.type('form').send({ ...body, _csrf: s.session.csrf });
}

/** The message a person sees after the change: the flash on the page the redirect leads to, or the JSON message. */
async function outcome(s: Setup, way: Way, res: { status: number; headers: Record<string, string>; body: { message?: string } }) {
  if (way === 'json') return { status: res.status, message: res.body.message };
  expect(res.status).toBe(303);
  // Back to the page; a change to one integration lands at its row (#integration-<slug>), where the message is shown.
  expect(res.headers.location).toMatch(new RegExp(`^${s.page}(#integration-[a-z0-9_]+)?$`));
  const page = await s.session.agent.get(res.headers.location!.split('#')[0]!);
  return { status: res.status, message: flashText(page.text).join(' ') };
}

describe('the page', () => {
  it('shows every integration grouped by category, Required first, with status and auth', async () => {
    const s = await setUp();
    await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'sales@acme.test' });
    const res = await s.session.agent.get(s.page);
    expect(res.status).toBe(200);
    const headings = [...res.text.matchAll(/<h2 id="cat-[^"]*">([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(headings.slice(0, 5)).toEqual(['Required', 'Documents', 'Scheduling', 'Development', 'Productivity']);
    expect(res.text).toMatch(/id="integration-gmail"[\s\S]*?Available/);
    expect(res.text).toMatch(/id="integration-notion"[\s\S]*?Needs a connection[\s\S]*?How to connect/);
    expect(res.text).toMatch(/id="integration-calculator"[\s\S]*?No credentials needed/);
  });

  it('answers JSON in the documented shape', async () => {
    const s = await setUp();
    const conn = await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'sales@acme.test' });
    await addToAssistant(t.db, s.user.teamId, s.assistant.id, 'gmail', { oauth2: conn });
    const res = await s.session.agent.get(s.page).set('Accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.body.assistant).toEqual({ id: s.assistant.id, name: 'Sales Assistant', description: '' });
    const gmail = res.body.integrations.find((i: { slug: string }) => i.slug === 'gmail');
    expect(gmail).toEqual({
      id: ids.gmail,
      slug: 'gmail',
      label: 'Gmail',
      icon: 'Gm',
      category: 'Required',
      description: expect.any(String),
      auth: 'oauth2',
      required: true,
      added: true,
      status: 'added',
      connection: { kind: 'oauth2', id: conn, label: 'sales@acme.test' },
      connections: [{ kind: 'oauth2', id: conn, label: 'sales@acme.test' }],
    });
    const notion = res.body.integrations.find((i: { slug: string }) => i.slug === 'notion');
    expect(notion).toMatchObject({ added: false, status: 'needs_connection', connection: null, connections: [] });
  });

  it('filters with ?q= as a plain GET form', async () => {
    const s = await setUp();
    const res = await s.session.agent.get(`${s.page}?q=google`);
    expect(res.text).toContain('integration-googledocs');
    expect(res.text).not.toContain('integration-github');
    const none = await s.session.agent.get(`${s.page}?q=zzzz`);
    expect(none.text).toContain('No integration matches');
  });

  it('shows Connection lost when the connection an added integration used is revoked', async () => {
    const s = await setUp();
    const conn = await createOAuth2Connection(t.db, s.user.teamId, 'gmail');
    await post(s, 'json', `${s.page}/add/${ids.gmail}`, { oauth2_connection_id: conn });
    await t.db.withOwner((tx) => tx.query('UPDATE oauth2_connections SET revoked_at = now() WHERE id = $1', [conn]));
    const res = await s.session.agent.get(s.page).set('Accept', 'application/json');
    expect(res.body.integrations.find((i: { slug: string }) => i.slug === 'gmail')).toMatchObject({
      added: true,
      status: 'connection_lost',
      connection: null,
    });
    const html = await s.session.agent.get(s.page);
    expect(html.text).toMatch(/id="integration-gmail"[\s\S]*?Connection lost[\s\S]*?Choose another/);
  });

  it('offers Change only where the team has another connection to change to', async () => {
    const s = await setUp();
    const first = await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'one@acme.test' });
    await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'expired@acme.test', status: 'EXPIRED' });
    await post(s, 'json', `${s.page}/add/${ids.gmail}`, { oauth2_connection_id: first });
    const gmailRow = async () => (await s.session.agent.get(s.page)).text.split('id="integration-gmail"')[1]!.split('</li>')[0]!;
    expect(await gmailRow()).toContain('uses <strong>one@acme.test</strong>');
    expect(await gmailRow()).not.toContain('>Change<');
    await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'two@acme.test' });
    expect(await gmailRow()).toContain('>Change<');
  });
});

describe('the connection picker', () => {
  it('is a full page without htmx and a fragment for the dialog with htmx, preselecting the only connection', async () => {
    const s = await setUp();
    const conn = await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'ops@acme.test' });
    const page = await s.session.agent.get(`${s.page}/add/${ids.gmail}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html');
    expect(page.text).toContain('Add Gmail to Sales Assistant');
    expect(page.text).toMatch(new RegExp(`value="oauth2:${conn}" required checked`));
    const fragment = await s.session.agent.get(`${s.page}/add/${ids.gmail}`).set('HX-Request', 'true').set('HX-Target', 'picker-body');
    expect(fragment.status).toBe(200);
    expect(fragment.text).not.toContain('<html');
    expect(fragment.text).toContain('id="picker-title"');
    expect(fragment.text).toContain('ops@acme.test');
  });

  it('lists only the team’s usable connections of the kinds the integration takes', async () => {
    const s = await setUp();
    const other = await createUser(t.db);
    const good = await createOAuth2Connection(t.db, s.user.teamId, 'github', { identity: 'octo-good' });
    const key = await createApiKeyConnection(t.db, s.user.teamId, 'github', 'CI token');
    await createOAuth2Connection(t.db, s.user.teamId, 'github', { identity: 'octo-disabled', enabled: false });
    await createOAuth2Connection(t.db, s.user.teamId, 'github', { identity: 'octo-expired', status: 'EXPIRED' });
    await createOAuth2Connection(t.db, s.user.teamId, 'github', { identity: 'octo-revoked', revoked: true });
    await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'not-github' });
    await createOAuth2Connection(t.db, other.teamId, 'github', { identity: 'octo-other-team' });
    const res = await s.session.agent.get(s.page).set('Accept', 'application/json');
    const github = res.body.integrations.find((i: { slug: string }) => i.slug === 'github');
    expect(github.connections).toEqual([
      { kind: 'api_key', id: key, label: 'CI token' },
      { kind: 'oauth2', id: good, label: 'octo-good' },
    ]);
  });
});

describe('the connection picker of a team with many connections', () => {
  it('lists the first 50, the one in use first, and finds the others by name', async () => {
    const s = await setUp();
    const keys: number[] = [];
    for (let i = 1; i <= 53; i++)
      keys.push(await createApiKeyConnection(t.db, s.user.teamId, 'tavily', `key ${String(i).padStart(2, '0')}`));
    await post(s, 'json', `${s.page}/add/${ids.tavily}`, { api_connection_id: keys[52] });
    const radios = (html: string) =>
      [...html.matchAll(/value="api:(\d+)" required ?(checked)?>/g)].map((m) => ({ id: Number(m[1]), checked: Boolean(m[2]) }));
    const page = await s.session.agent.get(`${s.page}/add/${ids.tavily}`);
    expect(page.status).toBe(200);
    expect(radios(page.text)).toHaveLength(50);
    expect(radios(page.text)[0]).toEqual({ id: keys[52], checked: true });
    expect(
      radios(page.text)
        .slice(1)
        .map((r) => r.id),
    ).toEqual(keys.slice(0, 49));
    expect(page.text).toContain('Showing 50 of 53.');
    const found = await s.session.agent
      .get(`${s.page}/add/${ids.tavily}?q=KEY 5`)
      .set('HX-Request', 'true')
      .set('HX-Target', 'picker-body');
    expect(found.text).not.toContain('<html');
    expect(radios(found.text).map((r) => r.id)).toEqual([keys[52], keys[49], keys[50], keys[51]]);
    expect(found.text).toContain('Showing 4 of 4 matching “KEY 5”.');
    const none = await s.session.agent.get(`${s.page}/add/${ids.tavily}?q=nothing-like-this`);
    expect(none.text).toContain('No connection matches “nothing-like-this”.');
    expect((await s.session.agent.get(`${s.page}/add/${ids.tavily}?q=${'x'.repeat(101)}`)).status).toBe(400);
  });
});

describe('add', () => {
  it.each(WAYS)('adds an integration that needs no credentials (%s)', async (way) => {
    const s = await setUp();
    const res = await post(s, way, `${s.page}/add/${ids.calculator}`);
    expect((await outcome(s, way, res)).message).toContain('Added Calculator to Sales Assistant');
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual([
      { integration_id: ids.calculator, api_connection_id: null, oauth2_connection_id: null },
    ]);
    expect(await auditActions(t.db, s.user.teamId)).toEqual(['assistant.integration_added']);
  });

  it.each(WAYS)('adds an OAuth2 integration with the chosen connection (%s)', async (way) => {
    const s = await setUp();
    const conn = await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'sales@acme.test' });
    const res = await post(s, way, `${s.page}/add/${ids.gmail}`, { oauth2_connection_id: String(conn) });
    expect((await outcome(s, way, res)).message).toBe('Added Gmail to Sales Assistant using sales@acme.test.');
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual([
      { integration_id: ids.gmail, api_connection_id: null, oauth2_connection_id: conn },
    ]);
  });

  it('accepts the picker’s single radio field and an API key connection', async () => {
    const s = await setUp();
    const key = await createApiKeyConnection(t.db, s.user.teamId, 'tavily', 'Research key');
    const res = await post(s, 'form', `${s.page}/add/${ids.tavily}`, { connection: `api:${key}` });
    expect((await outcome(s, 'form', res)).message).toBe('Added Tavily Search to Sales Assistant using Research key.');
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual([
      { integration_id: ids.tavily, api_connection_id: key, oauth2_connection_id: null },
    ]);
  });

  it('is idempotent, and switches connection when given another one', async () => {
    const s = await setUp();
    const first = await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'one@acme.test' });
    const second = await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'two@acme.test' });
    await post(s, 'json', `${s.page}/add/${ids.gmail}`, { oauth2_connection_id: first });
    const again = await post(s, 'json', `${s.page}/add/${ids.gmail}`, { oauth2_connection_id: first });
    expect(again.body).toMatchObject({
      change: 'unchanged',
      message: 'Gmail is already on Sales Assistant using one@acme.test; nothing changed.',
    });
    expect(await assistantIntegrations(t.db, s.assistant.id)).toHaveLength(1);
    const switched = await post(s, 'form', `${s.page}/add/${ids.gmail}`, { oauth2_connection_id: second });
    expect((await outcome(s, 'form', switched)).message).toBe('Gmail on Sales Assistant now uses two@acme.test.');
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual([
      { integration_id: ids.gmail, api_connection_id: null, oauth2_connection_id: second },
    ]);
    expect(await auditActions(t.db, s.user.teamId)).toEqual(['assistant.integration_added', 'assistant.integration_switched']);
    const activity = await s.session.agent.get(`/app/team/${s.user.teamId}/integrations`);
    expect(activity.text).toContain('Changed the connection of Gmail on Sales Assistant from one@acme.test to two@acme.test');
    expect(activity.text).toContain('Added Gmail to Sales Assistant using one@acme.test');
  });

  it('lands a plain form back at the row it changed, the message shown in that row', async () => {
    const s = await setUp();
    const added = await post(s, 'form', `${s.page}/add/${ids.calculator}`);
    expect(added.headers.location).toBe(`${s.page}#integration-calculator`);
    const page = await s.session.agent.get(s.page);
    expect(page.text).toMatch(
      /id="integration-calculator"[\s\S]*?<p class="flash row-flash flash-success" id="flash-integration-calculator"[^>]*>Added Calculator to Sales Assistant\.<\/p>/,
    );
    expect(page.text).toMatch(/<div id="flash"[^>]*>\s*<\/div>/);
    const removed = await post(s, 'htmx', `${s.page}/remove/${ids.calculator}`);
    expect(removed.headers.location).toBe(`${s.page}#integration-calculator`);
    expect(flashText((await s.session.agent.get(s.page)).text)).toEqual(['Removed Calculator from Sales Assistant.']);
  });

  it('names an account that has no email by the end of its Composio id, in the picker and on the team page', async () => {
    const s = await setUp();
    await createOAuth2Connection(t.db, s.user.teamId, 'notion', { identity: null, accountId: 'ca_notion9f3k' });
    await createOAuth2Connection(t.db, s.user.teamId, 'notion', { identity: 'ana-notion', accountId: 'ca_notion2' });
    const picker = await s.session.agent.get(`${s.page}/add/${ids.notion}`);
    expect(picker.text).toContain('Notion account ending …9f3k');
    expect(picker.text).toContain('ana-notion');
    expect(picker.text).not.toContain('account connected');
    await createOAuth2Connection(t.db, s.user.teamId, 'linear', { identity: null, accountId: 'ca_linear77x1' });
    const team = await s.session.agent.get(`/app/team/${s.user.teamId}/integrations`);
    expect(team.text).toMatch(/id="provider-linear"[\s\S]*?<strong>Linear account ending …77x1<\/strong>/);
  });

  it('lets a member (not only an admin) add and remove', async () => {
    const s = await setUp('member');
    expect((await post(s, 'json', `${s.page}/add/${ids.calculator}`)).status).toBe(200);
    expect((await post(s, 'json', `${s.page}/remove/${ids.calculator}`)).body.removed).toBe(true);
  });

  it('leaves one row and no error after 20 concurrent adds of one integration', async () => {
    const s = await setUp();
    const conn = await createOAuth2Connection(t.db, s.user.teamId, 'gmail');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post(s, 'json', `${s.page}/add/${ids.gmail}`, { oauth2_connection_id: conn })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.filter((r) => r.body.change === 'added')).toHaveLength(1);
    expect(await assistantIntegrations(t.db, s.assistant.id)).toHaveLength(1);
  });
});

describe('add refuses connections that do not fit, with 422 and no change', () => {
  const cases: [string, (s: Setup) => Promise<Record<string, unknown>>, RegExp][] = [
    [
      'no connection',
      async (s) => (await createOAuth2Connection(t.db, s.user.teamId, 'gmail'), {}),
      /Choose which connection Gmail should use/,
    ],
    ['no connection when the team has none', async () => ({}), /Gmail needs a connection and the team has none that works/],
    [
      'another team’s connection',
      async () => ({ oauth2_connection_id: await createOAuth2Connection(t.db, (await createUser(t.db)).teamId, 'gmail') }),
      /cannot be used for Gmail/,
    ],
    [
      'a connection of another integration',
      async (s) => ({ oauth2_connection_id: await createOAuth2Connection(t.db, s.user.teamId, 'notion') }),
      /cannot be used for Gmail/,
    ],
    [
      'a disabled connection',
      async (s) => ({ oauth2_connection_id: await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { enabled: false }) }),
      /cannot be used for Gmail/,
    ],
    [
      'a revoked connection',
      async (s) => ({ oauth2_connection_id: await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { revoked: true }) }),
      /cannot be used for Gmail/,
    ],
    [
      'an expired connection',
      async (s) => ({ oauth2_connection_id: await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { status: 'EXPIRED' }) }),
      /cannot be used for Gmail/,
    ],
    [
      'an API key for an OAuth2-only integration',
      async (s) => ({ api_connection_id: await createApiKeyConnection(t.db, s.user.teamId, 'tavily') }),
      /connects through an OAuth2 account, not an API key/,
    ],
    [
      'two connections',
      async (s) => ({ oauth2_connection_id: await createOAuth2Connection(t.db, s.user.teamId, 'gmail'), api_connection_id: 5 }),
      /Choose one connection, not two/,
    ],
  ];

  it.each(cases)('%s (JSON)', async (_label, body, message) => {
    const s = await setUp();
    const res = await post(s, 'json', `${s.page}/add/${ids.gmail}`, await body(s));
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(message);
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual([]);
    expect(await auditActions(t.db, s.user.teamId)).toEqual([]);
  });

  it.each(WAYS.filter((w) => w !== 'json'))('a %s post without a connection gets the picker with the message', async (way) => {
    const s = await setUp();
    await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'ops@acme.test' });
    const res = await post(s, way, `${s.page}/add/${ids.gmail}`);
    expect(res.status).toBe(422);
    expect(res.text).toContain('Choose which connection Gmail should use.');
    expect(res.text).toContain('ops@acme.test');
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual([]);
  });
});

describe('remove', () => {
  it.each(WAYS)('removes exactly that integration (%s)', async (way) => {
    const s = await setUp();
    const key = await createApiKeyConnection(t.db, s.user.teamId, 'github');
    await post(s, 'json', `${s.page}/add/${ids.calculator}`);
    await post(s, 'json', `${s.page}/add/${ids.github}`, { api_connection_id: key });
    const res = await post(s, way, `${s.page}/remove/${ids.github}`);
    expect((await outcome(s, way, res)).message).toBe('Removed GitHub from Sales Assistant.');
    expect((await assistantIntegrations(t.db, s.assistant.id)).map((r) => r.integration_id)).toEqual([ids.calculator]);
    expect(await auditActions(t.db, s.user.teamId)).toContain('assistant.integration_removed');
  });

  it.each(WAYS)('says so when the integration was never added, and changes nothing (%s)', async (way) => {
    const s = await setUp();
    await post(s, 'json', `${s.page}/add/${ids.calculator}`);
    const res = await post(s, way, `${s.page}/remove/${ids.notion}`);
    const result = await outcome(s, way, res);
    expect(result.message).toBe('Notion is not on Sales Assistant, so there was nothing to remove.');
    if (way === 'json') expect(res.body.removed).toBe(false);
    expect((await assistantIntegrations(t.db, s.assistant.id)).map((r) => r.integration_id)).toEqual([ids.calculator]);
  });
});

describe('legacy bulk form', () => {
  it.each(WAYS)('replaces the whole set in one go (%s)', async (way) => {
    const s = await setUp();
    const gmail = await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'sales@acme.test' });
    const key = await createApiKeyConnection(t.db, s.user.teamId, 'linear');
    await post(s, 'json', `${s.page}/add/${ids.calculator}`);
    const body = {
      integration_ids: [String(ids.gmail), String(ids.linear)],
      [`connection_${ids.gmail}`]: `oauth2:${gmail}`,
      [`connection_${ids.linear}`]: `api:${key}`,
    };
    const res = await post(s, way, s.page, body);
    expect((await outcome(s, way, res)).message).toBe('Saved Sales Assistant: added Gmail, Linear; removed Calculator.');
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual(
      [
        { integration_id: ids.gmail, api_connection_id: null, oauth2_connection_id: gmail },
        { integration_id: ids.linear, api_connection_id: key, oauth2_connection_id: null },
      ].sort((a, b) => a.integration_id! - b.integration_id!),
    );
  });

  it('accepts JSON numbers and says what is wrong with a list that is not one', async () => {
    const s = await setUp();
    const ok = await post(s, 'json', s.page, { integration_ids: [ids.calculator] });
    expect(ok.status).toBe(200);
    expect((await assistantIntegrations(t.db, s.assistant.id)).map((r) => r.integration_id)).toEqual([ids.calculator]);
    const bad = await post(s, 'json', s.page, { integration_ids: { 1: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('integration_ids must be a list of integration ids.');
  });

  it('accepts a single integration_ids value and an empty set', async () => {
    const s = await setUp();
    await post(s, 'form', s.page, { integration_ids: String(ids.calculator) });
    expect((await assistantIntegrations(t.db, s.assistant.id)).map((r) => r.integration_id)).toEqual([ids.calculator]);
    await post(s, 'form', s.page, {});
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual([]);
  });

  it.each([
    [
      'an item without its connection',
      (c: number) => ({ integration_ids: [String(ids.calculator), String(ids.gmail)], [`connection_${ids.notion}`]: `oauth2:${c}` }),
      422,
      /Gmail needs a connection and the team has none that works/,
    ],
    [
      'a malformed connection reference',
      () => ({ integration_ids: [String(ids.gmail)], [`connection_${ids.gmail}`]: 'gmail-please' }),
      422,
      /connection_\d+ \(Gmail\) must be api:<id> or oauth2:<id>/,
    ],
    [
      'an integration that does not exist',
      () => ({ integration_ids: [String(ids.calculator), '2147483000'] }),
      422,
      /not an integration Switchboard offers/,
    ],
    ['an id that is not a number', () => ({ integration_ids: ['abc'] }), 400, /not a valid id/],
  ])('is all or nothing: %s changes nothing', async (_label, body, status, message) => {
    const s = await setUp();
    const c = await createOAuth2Connection(t.db, s.user.teamId, 'notion');
    await post(s, 'json', `${s.page}/add/${ids.notion}`, { oauth2_connection_id: c });
    const before = await assistantIntegrations(t.db, s.assistant.id);
    const res = await post(s, 'json', s.page, body(c));
    expect(res.status).toBe(status);
    expect(res.body.message).toMatch(message);
    expect(await assistantIntegrations(t.db, s.assistant.id)).toEqual(before);
  });

  it('names the field at fault in JSON', async () => {
    const s = await setUp();
    const malformed = await post(s, 'json', s.page, { integration_ids: [String(ids.gmail)], [`connection_${ids.gmail}`]: 'gmail-please' });
    expect(malformed.body.fields).toEqual({
      [`connection_${ids.gmail}`]: `connection_${ids.gmail} (Gmail) must be api:<id> or oauth2:<id>.`,
    });
    const unknown = await post(s, 'json', s.page, { integration_ids: ['abc'] });
    expect(unknown.body).toEqual({
      error: 'bad_request',
      message: 'integration_ids contains "abc", which is not a valid id.',
      fields: { integration_ids: 'integration_ids contains "abc", which is not a valid id.' },
    });
  });
});

describe('ids and other teams', () => {
  it('answers ids that are not positive 32-bit integers with 400 on every route', async () => {
    const s = await setUp();
    const base = `/app/team/${s.user.teamId}/assistant`;
    for (const bad of ['x', '0', '-3', '99999999999', '1e3']) {
      expect((await s.session.agent.get(`${base}/${bad}/integrations`)).status).toBe(400);
      expect((await s.session.agent.get(`${s.page}/add/${bad}`)).status).toBe(400);
      expect((await post(s, 'form', `${s.page}/add/${bad}`)).status).toBe(400);
      expect((await post(s, 'form', `${s.page}/remove/${bad}`)).status).toBe(400);
      expect((await post(s, 'form', `${base}/${bad}/integrations`)).status).toBe(400);
      expect((await s.session.agent.get(`/app/team/${bad}/assistant/${s.assistant.id}/integrations`)).status).toBe(400);
    }
  });

  it('answers another team’s assistant with 404 on every route and changes nothing', async () => {
    const s = await setUp();
    const other = await createUser(t.db);
    const theirs = await createAssistant(t.db, other.teamId, 'Their Assistant');
    await addToAssistant(t.db, other.teamId, theirs.id, 'calculator');
    for (const teamId of [s.user.teamId, other.teamId]) {
      const page = `/app/team/${teamId}/assistant/${theirs.id}/integrations`;
      for (const way of WAYS) {
        expect((await s.session.agent.get(page).set('Accept', way === 'json' ? 'application/json' : 'text/html')).status).toBe(404);
        expect((await post(s, way, `${page}/add/${ids.notion}`)).status).toBe(404);
        expect((await post(s, way, `${page}/remove/${ids.calculator}`)).status).toBe(404);
        expect((await post(s, way, page, { integration_ids: [] })).status).toBe(404);
      }
      expect((await s.session.agent.get(`${page}/add/${ids.gmail}`)).status).toBe(404);
    }
    expect((await assistantIntegrations(t.db, theirs.id)).map((r) => r.integration_id)).toEqual([ids.calculator]);
  });

  it('answers an integration that does not exist with 404', async () => {
    const s = await setUp();
    expect((await s.session.agent.get(`${s.page}/add/2147483000`)).status).toBe(404);
    expect((await post(s, 'json', `${s.page}/add/2147483000`)).status).toBe(404);
    expect((await post(s, 'json', `${s.page}/remove/2147483000`)).status).toBe(404);
  });
});
