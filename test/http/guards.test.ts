import type { FakeAccount, FakeComposio } from '../fakes/composio-server';
import {
  createAssistant,
  createUser,
  decodeEntities,
  flashText,
  postForm,
  signIn,
  type SignedIn,
  type TestApp,
  type TestUser,
} from '../helpers/app';
import { startAppWithFakeComposio } from '../helpers/composio-app';
import { addToAssistant, auditActions, createOAuth2Connection, teamComposioUserId } from '../helpers/fixtures';

let fake: FakeComposio;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ fake, t, close } = await startAppWithFakeComposio({ timeoutMs: 400, maxRetries: 1, retryDelayMs: 10, maxRetryAfterMs: 200 }));
});
afterAll(() => close());
beforeEach(() => fake.reset());

interface Setup {
  user: TestUser;
  session: SignedIn;
  page: string;
  api: string;
  composioUserId: string;
}

async function setUp(role: 'admin' | 'member' = 'admin'): Promise<Setup> {
  const user = await createUser(t.db, { role });
  const composioUserId = await teamComposioUserId(t.db, user.teamId);
  return {
    user,
    session: await signIn(t.app, user),
    page: `/app/team/${user.teamId}/integrations`,
    api: `/api/teams/${user.teamId}/integrations`,
    composioUserId,
  };
}

const form = (s: Setup, url: string, body: Record<string, string> = {}) => postForm(s.session, url, body);
const patch = (s: Setup, url: string, body: object) => s.session.agent.patch(url).set('X-CSRF-Token', s.session.csrf).send(body);
const account = (s: Setup, id: string, toolkit: string): FakeAccount => ({
  id: `${s.user.teamId}_${id}`,
  userId: s.composioUserId,
  toolkit,
});

/** A member (not an admin) of the same team. */
async function memberOf(s: Setup): Promise<TestUser> {
  const team = await t.db.withOwner((tx) => tx.one<{ name: string }>('SELECT name FROM teams WHERE id = $1', [s.user.teamId]));
  const member = await createUser(t.db, { role: 'member', team: team.name });
  expect(member.teamId).toBe(s.user.teamId);
  return member;
}

/** An admin's team with a Gmail connection that the named assistants use. */
async function gmailUsedBy(s: Setup, names: string[]): Promise<number> {
  const conn = await createOAuth2Connection(t.db, s.user.teamId, 'gmail');
  await gmailAssistants(s, names, conn);
  return conn;
}

/** New assistants of the team, by name, each with Gmail added using the given account. */
async function gmailAssistants(s: Setup, names: string[], connectionId: number): Promise<void> {
  for (const name of names) {
    const assistant = await createAssistant(t.db, s.user.teamId, name);
    await addToAssistant(t.db, s.user.teamId, assistant.id, 'gmail', { oauth2: connectionId });
  }
}

const enabledOf = (connId: number) =>
  t.db
    .withOwner((tx) => tx.one<{ enabled: boolean }>('SELECT enabled FROM oauth2_connections WHERE id = $1', [connId]))
    .then((r) => r.enabled);

describe('disabling a connection that assistants use', () => {
  it('asks first, naming the assistants, and changes nothing until confirmed (form)', async () => {
    const s = await setUp();
    const conn = await gmailUsedBy(s, ['Zeta mailer', 'Alpha <digest>']);

    const page = await s.session.agent.get(s.page);
    // The switch posts the toggle like any other; the answer is the confirmation page.
    expect(page.text).toMatch(
      new RegExp(`id="provider-gmail"[\\s\\S]*?action="${s.page}/gmail/toggle"[\\s\\S]*?role="switch" aria-checked="true"`),
    );

    const unconfirmed = await form(s, `${s.page}/gmail/toggle`, { enabled: 'false' });
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.headers.location).toBe(`${s.page}/gmail/disable`);
    expect(await enabledOf(conn)).toBe(true);
    expect(await auditActions(t.db, s.user.teamId)).toEqual([]);

    const confirmation = await s.session.agent.get(`${s.page}/gmail/disable`);
    expect(confirmation.status).toBe(200);
    const names = [...confirmation.text.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => decodeEntities(m[1]!));
    expect(names).toEqual(['Alpha <digest>', 'Zeta mailer']);
    expect(confirmation.text).toContain('name="confirm" value="yes"');
    expect(await enabledOf(conn)).toBe(true);

    const confirmed = await form(s, `${s.page}/gmail/toggle`, { enabled: 'false', confirm: 'yes' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe(`${s.page}#provider-gmail`);
    expect(await enabledOf(conn)).toBe(false);
    expect(flashText((await s.session.agent.get(s.page)).text)[0]).toMatch(/^Disabled Gmail for /);
    expect(await auditActions(t.db, s.user.teamId)).toEqual(['connection.disabled']);
  });

  it('answers JSON clients 409 confirmation_required with the names, and disables with confirm: true', async () => {
    const s = await setUp();
    const conn = await gmailUsedBy(s, ['Mailer']);
    const refused = await patch(s, `${s.api}/gmail/toggle`, { enabled: false });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: 'confirmation_required',
      message: expect.stringMatching(/^Disabling Gmail takes it away from one assistant: Mailer\./),
      assistants: ['Mailer'],
    });
    const formJson = await s.session.agent
      .post(`${s.page}/gmail/toggle`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ enabled: 'false', _csrf: s.session.csrf });
    expect(formJson.status).toBe(409);
    expect(formJson.body.assistants).toEqual(['Mailer']);
    expect(await enabledOf(conn)).toBe(true);

    const bad = await patch(s, `${s.api}/gmail/toggle`, { enabled: false, confirm: 'maybe' });
    expect(bad.status).toBe(400);
    expect(await enabledOf(conn)).toBe(true);

    const confirmed = await patch(s, `${s.api}/gmail/toggle`, { enabled: false, confirm: true });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ success: true, enabled: false });
    expect(await enabledOf(conn)).toBe(false);
    // Enabling never asks.
    expect((await patch(s, `${s.api}/gmail/toggle`, { enabled: true })).status).toBe(200);
    expect(await enabledOf(conn)).toBe(true);
  });

  it('disables at once, as before, when no assistant uses it', async () => {
    const s = await setUp();
    const conn = await gmailUsedBy(s, []);
    expect((await s.session.agent.get(s.page)).text).not.toContain('/gmail/disable"');
    const off = await form(s, `${s.page}/gmail/toggle`, { enabled: 'false' });
    expect(off.status).toBe(303);
    expect(off.headers.location).toBe(`${s.page}#provider-gmail`);
    expect(await enabledOf(conn)).toBe(false);
    const confirmation = await s.session.agent.get(`${s.page}/gmail/disable`);
    expect(confirmation.text).toContain('No assistant uses it.');
  });

  it('refuses members (403) and other teams (404), changing nothing', async () => {
    const admin = await setUp();
    const conn = await gmailUsedBy(admin, ['Mailer']);
    const member = await memberOf(admin);
    const m: Setup = { ...admin, user: member, session: await signIn(t.app, member) };
    expect((await m.session.agent.get(`${admin.page}/gmail/disable`)).status).toBe(403);
    expect((await form(m, `${admin.page}/gmail/toggle`, { enabled: 'false', confirm: 'yes' })).status).toBe(403);

    const other = await setUp();
    expect((await other.session.agent.get(`${admin.page}/gmail/disable`)).status).toBe(404);
    expect((await form(other, `${admin.page}/gmail/toggle`, { enabled: 'false', confirm: 'yes' })).status).toBe(404);
    expect((await patch(other, `${admin.api}/gmail/toggle`, { enabled: false, confirm: true })).status).toBe(404);
    expect(await enabledOf(conn)).toBe(true);
  });
});

describe('a sync that would remove every connection', () => {
  const present = (teamId: number) =>
    t.db.withOwner((tx) =>
      tx.query<{ composio_account_id: string }>(
        'SELECT composio_account_id FROM oauth2_connections WHERE team_id = $1 AND disconnected_at IS NULL ORDER BY 1',
        [teamId],
      ),
    );

  it('asks first and says why, changes nothing, and applies once confirmed (form)', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail'), account(s, 'gh', 'github')]);
    await form(s, `${s.page}/sync`);
    expect(await present(s.user.teamId)).toHaveLength(2);
    const auditBefore = await auditActions(t.db, s.user.teamId);

    fake.setAccounts([]);
    const unconfirmed = await form(s, `${s.page}/sync`);
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.headers.location).toBe(`${s.page}/sync/confirm`);
    expect(await present(s.user.teamId)).toHaveLength(2);
    expect(await auditActions(t.db, s.user.teamId)).toEqual(auditBefore);

    const confirmation = await s.session.agent.get(`${s.page}/sync/confirm`);
    expect(confirmation.status).toBe(200);
    const text = decodeEntities(confirmation.text);
    expect(text).toContain('connected under another Composio user id');
    expect(text).toContain('deleted in Composio');
    expect(text).toContain(s.composioUserId);
    expect(text).toContain('name="confirm" value="yes"');

    const confirmed = await form(s, `${s.page}/sync`, { confirm: 'yes' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe(s.page);
    expect(await present(s.user.teamId)).toEqual([]);
    expect(flashText((await s.session.agent.get(s.page)).text)[0]).toBe('Synced: 0 added, 2 removed, 0 unchanged');
  });

  it('answers JSON clients 409 confirmation_required unless confirm is true; a partial removal no assistant uses needs no confirmation', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail'), account(s, 'gh', 'github')]);
    const sync = (body: object = {}) => s.session.agent.post(`${s.api}/sync`).set('X-CSRF-Token', s.session.csrf).send(body);
    await sync();

    fake.setAccounts([account(s, 'gm', 'gmail')]);
    expect((await sync()).body).toEqual({ success: true, added: [], removed: ['github'], unchanged: ['gmail'] });

    fake.setAccounts([]);
    const refused = await sync();
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: 'confirmation_required',
      message: expect.stringContaining('another Composio user id'),
      removesEverything: true,
      assistantConnectionsLost: 0,
      assistants: [],
    });
    expect(await present(s.user.teamId)).toHaveLength(1);

    expect((await sync({ confirm: true })).body).toEqual({ success: true, added: [], removed: ['gmail'], unchanged: [] });
    expect(await present(s.user.teamId)).toEqual([]);
    // Nothing left to remove: an empty listing no longer asks.
    expect((await sync()).status).toBe(200);
  });

  it('refuses members the confirmation page (403) and other teams (404)', async () => {
    const s = await setUp();
    const other = await setUp();
    expect((await other.session.agent.get(`${s.page}/sync/confirm`)).status).toBe(404);
    expect((await form(other, `${s.page}/sync`, { confirm: 'yes' })).status).toBe(404);
    const member = await memberOf(s);
    const m = await signIn(t.app, member);
    expect((await m.agent.get(`${s.page}/sync/confirm`)).status).toBe(403);
  });
});

describe('a sync that would take connections away from assistants', () => {
  const disconnected = (teamId: number) =>
    t.db.withOwner((tx) =>
      tx.query<{ composio_account_id: string }>(
        'SELECT composio_account_id FROM oauth2_connections WHERE team_id = $1 AND disconnected_at IS NOT NULL ORDER BY 1',
        [teamId],
      ),
    );

  /** Gmail and GitHub synced; the named assistants use the Gmail account. */
  async function gmailInUse(s: Setup, names: string[]): Promise<void> {
    fake.setAccounts([account(s, 'gm', 'gmail'), account(s, 'gh', 'github')]);
    expect((await form(s, `${s.page}/sync`)).status).toBe(303);
    const conn = await t.db.withOwner((tx) =>
      tx.one<{ id: number }>('SELECT id FROM oauth2_connections WHERE team_id = $1 AND composio_account_id = $2', [
        s.user.teamId,
        `${s.user.teamId}_gm`,
      ]),
    );
    await gmailAssistants(s, names, conn.id);
  }

  it('names the assistants on a confirmation page, changes nothing, and applies once confirmed (form)', async () => {
    const s = await setUp();
    await gmailInUse(s, ['Research Bot', 'Support Bot']);
    const auditBefore = await auditActions(t.db, s.user.teamId);

    fake.setAccounts([account(s, 'gh', 'github')]);
    const unconfirmed = await form(s, `${s.page}/sync`);
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.headers.location).toBe(`${s.page}/sync/confirm`);
    expect(await disconnected(s.user.teamId)).toEqual([]);
    expect(await auditActions(t.db, s.user.teamId)).toEqual(auditBefore);

    const confirmation = await s.session.agent.get(`${s.page}/sync/confirm`);
    expect(confirmation.status).toBe(200);
    const text = decodeEntities(confirmation.text);
    expect(text).toContain('Take connections away from assistants?');
    expect(text).toContain('take 2 connections away from assistants');
    expect(text).toMatch(/Research Bot<\/a>: Gmail/);
    expect(text).toMatch(/Support Bot<\/a>: Gmail/);
    expect(text).toContain('name="confirm" value="yes"');
    expect(await disconnected(s.user.teamId)).toEqual([]); // the page only looks

    expect((await form(s, `${s.page}/sync`, { confirm: 'yes' })).headers.location).toBe(s.page);
    expect(await disconnected(s.user.teamId)).toEqual([{ composio_account_id: `${s.user.teamId}_gm` }]);
    expect(flashText((await s.session.agent.get(s.page)).text)[0]).toBe('Synced: 0 added, 1 removed, 1 unchanged');
  });

  it('answers JSON clients 409 with the assistants, and syncs with confirm: true', async () => {
    const s = await setUp();
    await gmailInUse(s, ['Research Bot']);
    fake.setAccounts([account(s, 'gh', 'github')]);
    const sync = (body: object = {}) => s.session.agent.post(`${s.api}/sync`).set('X-CSRF-Token', s.session.csrf).send(body);
    const refused = await sync();
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: 'confirmation_required',
      message: expect.stringContaining('Research Bot loses Gmail'),
      removesEverything: false,
      assistantConnectionsLost: 1,
      assistants: [{ id: expect.any(Number), name: 'Research Bot', integration: 'Gmail', account: null }],
    });
    expect(await disconnected(s.user.teamId)).toEqual([]);
    expect((await sync({ confirm: true })).body).toEqual({ success: true, added: [], removed: ['gmail'], unchanged: ['github'] });
  });

  it('does not ask when an account in use only changed status (it expired in Composio; the sync reports it)', async () => {
    const s = await setUp();
    await gmailInUse(s, ['Research Bot']);
    fake.setAccounts(
      [account(s, 'gm', 'gmail'), account(s, 'gh', 'github')].map((a) => (a.toolkit === 'gmail' ? { ...a, status: 'EXPIRED' } : a)),
    );
    const res = await s.session.agent.post(`${s.api}/sync`).set('X-CSRF-Token', s.session.csrf).send({});
    expect(res.status).toBe(200);
    expect(res.body.removed).toEqual([]);
  });

  it('shows a page that needs no confirmation any more when Composio lists the accounts again', async () => {
    const s = await setUp();
    await gmailInUse(s, ['Research Bot']);
    const text = decodeEntities((await s.session.agent.get(`${s.page}/sync/confirm`)).text);
    expect(text).toContain('needs no confirmation');
    expect(text).not.toContain('name="confirm"');
  });
});
