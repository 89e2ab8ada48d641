import type { FakeComposio } from '../fakes/composio-server';
import { createAssistant, createUser, decodeEntities, flashText, signIn, type SignedIn, type TestApp, type TestUser } from '../helpers/app';
import { startAppWithFakeComposio } from '../helpers/composio-app';
import { auditActions, teamComposioUserId } from '../helpers/fixtures';

let fake: FakeComposio;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ fake, t, close } = await startAppWithFakeComposio({ timeoutMs: 2000, maxRetries: 0 }));
});
afterAll(() => close());
beforeEach(() => fake.reset());

interface Setup {
  user: TestUser;
  session: SignedIn;
  composioUserId: string;
}

async function setUp(role: 'admin' | 'member' = 'admin', team?: string): Promise<Setup> {
  const user = await createUser(t.db, { role, team });
  const composioUserId = await teamComposioUserId(t.db, user.teamId);
  return { user, session: await signIn(t.app, user), composioUserId };
}

const start = (s: Setup, slug: string, extra: Record<string, string> = {}) =>
  s.session.agent
    .post(`/app/team/${s.user.teamId}/connect/${slug}`)
    .type('form')
    .send({ _csrf: s.session.csrf, ...extra });

/** What the person does on Composio's consent page; returns the callback path Composio sends them back to. */
async function consent(redirectUrl: string, decision: 'allow' | 'deny', email = 'ops@example.com'): Promise<string> {
  const page = await fetch(redirectUrl);
  expect(page.status).toBe(200);
  const answer = await fetch(redirectUrl, { method: 'POST', body: new URLSearchParams({ decision, email }), redirect: 'manual' });
  expect(answer.status).toBe(303);
  const back = new URL(answer.headers.get('location')!);
  return back.pathname + back.search;
}

/** Where the page that answers Connect sends the browser: Composio's hosted Connect Link. */
function linkOf(res: { text: string }): string {
  const href = /<a class="button button-primary" href="([^"]+)">Continue to Composio<\/a>/.exec(res.text)?.[1];
  if (!href) throw new Error(`no link to Composio on the page: ${res.text.slice(0, 300)}`);
  return decodeEntities(href);
}

const stateOf = (callbackPath: string) => new URL(callbackPath, 'http://x').searchParams.get('state')!;
const connections = (teamId: number) =>
  t.db.withOwner((tx) =>
    tx.query<{ id: number; composio_account_id: string; composio_status: string; account_identity: string | null }>(
      'SELECT id, composio_account_id, composio_status, account_identity FROM oauth2_connections WHERE team_id = $1 ORDER BY id',
      [teamId],
    ),
  );
const states = (teamId: number) =>
  t.db.withOwner((tx) => tx.query('SELECT used_at, expires_at FROM connect_states WHERE team_id = $1 ORDER BY created_at', [teamId]));

describe('Connect from the team Integrations page', () => {
  it("creates a Connect Link for the team's own Composio user id, and the callback syncs that account with a flash", async () => {
    const s = await setUp();
    const started = await start(s, 'gmail');
    expect(started.status).toBe(200);
    expect(started.text).toContain(`<meta http-equiv="refresh" content="0;url=${linkOf(started).replace(/&/g, '&amp;')}">`);
    const link = fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v3.1/connected_accounts/link');
    expect(link).toBeDefined();
    expect(fake.accounts).toEqual([expect.objectContaining({ userId: s.composioUserId, toolkit: 'gmail', status: 'INITIATED' })]);
    expect(linkOf(started)).toMatch(new RegExp(`^${fake.url}/link/`));

    const callback = await consent(linkOf(started), 'allow');
    expect(callback).toMatch(new RegExp(`^/app/team/${s.user.teamId}/connect/callback\\?state=`));
    const back = await s.session.agent.get(callback);
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe(`/app/team/${s.user.teamId}/integrations#provider-gmail`);
    const page = await s.session.agent.get(back.headers.location!);
    expect(flashText(page.text)).toEqual(['Connected Gmail (ops@example.com).']);
    expect(await connections(s.user.teamId)).toEqual([
      expect.objectContaining({
        composio_account_id: fake.accounts[0]!.id,
        composio_status: 'ACTIVE',
        account_identity: 'ops@example.com',
      }),
    ]);
    expect(await auditActions(t.db, s.user.teamId)).toContain('connection.connected');
    // Exactly one account was read from Composio: no list of the whole team.
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/api/v3.1/connected_accounts')).map((r) => r.path)).toEqual(
      [`/api/v3.1/connected_accounts/${fake.accounts[0]!.id}`],
    );
  });

  it('says what went wrong when the person denies access, and records nothing', async () => {
    const s = await setUp();
    const started = await start(s, 'notion');
    const callback = await consent(linkOf(started), 'deny');
    const back = await s.session.agent.get(callback);
    const page = await s.session.agent.get(back.headers.location!);
    expect(flashText(page.text)).toEqual([
      'Notion was not connected: Composio reports it failed (The person denied access on the consent screen). Nothing was changed; press Connect to try again.',
    ]);
    expect(await connections(s.user.teamId)).toEqual([]);
  });

  it("trusts the account Composio reports, not the callback's query", async () => {
    const s = await setUp();
    const started = await start(s, 'gmail');
    const callback = await consent(linkOf(started), 'deny');
    const forgedQuery = callback.replace('status=failed', 'status=success');
    const back = await s.session.agent.get(forgedQuery);
    const page = await s.session.agent.get(back.headers.location!);
    expect(flashText(page.text)[0]).toMatch(/^Gmail was not connected/);
    expect(await connections(s.user.teamId)).toEqual([]);
  });

  it('says when Composio has no auth config for the provider, and how to create one', async () => {
    const s = await setUp();
    fake.authConfigs = fake.authConfigs.filter((c) => c.toolkit !== 'linear');
    const res = await start(s, 'linear');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/app/team/${s.user.teamId}/integrations`);
    const page = await s.session.agent.get(res.headers.location!);
    expect(flashText(page.text)).toEqual([
      'Composio has no OAuth2 auth config for Linear yet, so Switchboard cannot start a connection. In the Composio dashboard, open Auth configs, create one for Linear (OAuth2, Composio managed is fine), then press Connect again.',
    ]);
    expect(fake.requests.some((r) => r.path.endsWith('/link'))).toBe(false);
    expect(await states(s.user.teamId)).toEqual([]);
  });

  it('refuses members (403) without asking Composio', async () => {
    const s = await setUp('member');
    const res = await start(s, 'gmail');
    expect(res.status).toBe(403);
    expect(fake.requests).toEqual([]);
    const page = await s.session.agent.get(`/app/team/${s.user.teamId}/integrations`);
    expect(page.text).not.toContain(`/app/team/${s.user.teamId}/connect/gmail`);
  });

  it('shows Connect for a provider with no account and Reconnect for one that needs it', async () => {
    const s = await setUp();
    await t.db.withOwner((tx) =>
      tx.query(
        `INSERT INTO oauth2_connections (team_id, integration_id, composio_account_id, composio_toolkit, composio_status, connected_at, composio_updated_at)
         SELECT $1, id, 'ca_old_cal', 'googlecalendar', 'EXPIRED', now(), now() FROM integrations WHERE slug = 'googlecalendar'`,
        [s.user.teamId],
      ),
    );
    const page = decodeEntities((await s.session.agent.get(`/app/team/${s.user.teamId}/integrations`)).text);
    expect(page).toMatch(/>Connect<span class="visually-hidden"> Gmail<\/span>/);
    expect(page).toMatch(/>Reconnect<span class="visually-hidden"> Google Calendar<\/span>/);
  });
});

describe('the callback state', () => {
  async function pending(s: Setup, slug = 'gmail', extra: Record<string, string> = {}) {
    const started = await start(s, slug, extra);
    expect(started.status).toBe(200);
    return consent(linkOf(started), 'allow');
  }

  it('refuses a forged state, changing nothing', async () => {
    const s = await setUp();
    await pending(s);
    const forged = await s.session.agent.get(`/app/team/${s.user.teamId}/connect/callback?state=${'A'.repeat(43)}`);
    expect(forged.status).toBe(400);
    expect(forged.text).toContain('This connection link is not valid here');
    const garbage = await s.session.agent.get(`/app/team/${s.user.teamId}/connect/callback?state=<script>`);
    expect(garbage.status).toBe(400);
    expect(await connections(s.user.teamId)).toEqual([]);
    expect((await states(s.user.teamId)).map((r) => r.used_at)).toEqual([null]);
  });

  it('works once: a reused state is refused', async () => {
    const s = await setUp();
    const callback = await pending(s);
    expect((await s.session.agent.get(callback)).status).toBe(303);
    const before = await connections(s.user.teamId);
    const again = await s.session.agent.get(callback);
    expect(again.status).toBe(400);
    expect(await connections(s.user.teamId)).toEqual(before);
  });

  it('refuses a state older than 10 minutes', async () => {
    const s = await setUp();
    const callback = await pending(s);
    await t.db.withOwner((tx) =>
      tx.query("UPDATE connect_states SET expires_at = now() - interval '1 second' WHERE team_id = $1", [s.user.teamId]),
    );
    expect((await s.session.agent.get(callback)).status).toBe(400);
    expect(await connections(s.user.teamId)).toEqual([]);
    expect((await states(s.user.teamId)).map((r) => r.used_at)).toEqual([null]);
  });

  it("refuses another team's state, at either team's callback, and another session's", async () => {
    const a = await setUp();
    const b = await setUp();
    const callback = await pending(a);
    const state = stateOf(callback);
    // B's admin, at B's callback and at A's (not a member of A: 404).
    expect((await b.session.agent.get(`/app/team/${b.user.teamId}/connect/callback?state=${state}`)).status).toBe(400);
    expect((await b.session.agent.get(`/app/team/${a.user.teamId}/connect/callback?state=${state}`)).status).toBe(404);
    // The same admin in a new session (signed in again).
    const other = await signIn(t.app, a.user);
    expect((await other.agent.get(callback)).status).toBe(400);
    expect(await connections(a.user.teamId)).toEqual([]);
    expect(await connections(b.user.teamId)).toEqual([]);
    // The state still works for the session that started it.
    expect((await a.session.agent.get(callback)).status).toBe(303);
    expect(await connections(a.user.teamId)).toHaveLength(1);
  });
});

describe('Connect an account from an assistant', () => {
  it("returns to the assistant's picker with the new account chosen", async () => {
    const s = await setUp();
    const assistant = await createAssistant(t.db, s.user.teamId);
    const picker = `/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations/add/`;
    const gmail = await t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM integrations WHERE slug = 'gmail'"));
    const empty = await s.session.agent.get(`${picker}${gmail.id}`);
    expect(decodeEntities(empty.text)).toContain('Connect a Gmail account');

    const started = await start(s, 'gmail', { prompt_id: String(assistant.id) });
    const back = await s.session.agent.get(await consent(linkOf(started), 'allow'));
    const [connection] = await connections(s.user.teamId);
    expect(back.headers.location).toBe(`${picker}${gmail.id}?connection=oauth2:${connection!.id}`);
    const page = await s.session.agent.get(back.headers.location!);
    expect(flashText(page.text)).toEqual(['Connected Gmail (ops@example.com).']);
    expect(page.text).toMatch(new RegExp(`value="oauth2:${connection!.id}" required\\s+checked`));
  });

  it("refuses another team's assistant", async () => {
    const a = await setUp();
    const b = await setUp();
    const theirs = await createAssistant(t.db, b.user.teamId);
    expect((await start(a, 'gmail', { prompt_id: String(theirs.id) })).status).toBe(404);
    expect(fake.requests).toEqual([]);
  });
});
