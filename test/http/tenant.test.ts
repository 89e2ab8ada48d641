import { pgErrorCode } from '../../server/db';
import type { FakeAccount, FakeComposio } from '../fakes/composio-server';
import { createAssistant, createUser, flashText, postForm, signIn, type SignedIn, type TestApp, type TestUser } from '../helpers/app';
import { startAppWithFakeComposio } from '../helpers/composio-app';
import { auditActions, integrationId, teamComposioUserId } from '../helpers/fixtures';

/**
 * The team wall at Composio: each team owns exactly one Composio user id, and no route, field or
 * JSON body lets one team sync, use or revoke the accounts of another team's id.
 */
let fake: FakeComposio;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ fake, t, close } = await startAppWithFakeComposio({ timeoutMs: 2000, maxRetries: 0, retryDelayMs: 10, maxRetryAfterMs: 200 }));
});
afterAll(() => close());
beforeEach(() => fake.reset());

interface Team {
  user: TestUser;
  session: SignedIn;
  composioUserId: string;
  page: string;
  api: string;
}

async function team(): Promise<Team> {
  const user = await createUser(t.db);
  const composioUserId = await teamComposioUserId(t.db, user.teamId);
  return {
    user,
    session: await signIn(t.app, user),
    composioUserId,
    page: `/app/team/${user.teamId}/integrations`,
    api: `/api/teams/${user.teamId}/integrations`,
  };
}

const account = (owner: Team, id: string, toolkit: string, extra: Partial<FakeAccount> = {}): FakeAccount => ({
  id: `${owner.user.teamId}_${id}`,
  userId: owner.composioUserId,
  toolkit,
  updatedAt: '2026-11-01T00:00:00Z',
  ...extra,
});

const syncJson = (s: Team, body: object = {}) => s.session.agent.post(`${s.api}/sync`).set('X-CSRF-Token', s.session.csrf).send(body);
const form = (s: Team, url: string, body: Record<string, string> = {}) => postForm(s.session, url, body);

const accountsOf = (teamId: number) =>
  t.db.withOwner((tx) =>
    tx.query<{ id: number; composio_account_id: string; revoked: boolean }>(
      'SELECT id, composio_account_id, revoked_at IS NOT NULL AS revoked FROM oauth2_connections WHERE team_id = $1 ORDER BY composio_account_id',
      [teamId],
    ),
  );
const teamRow = (teamId: number) =>
  t.db.withOwner((tx) => tx.one('SELECT composio_user_id, last_synced_at FROM teams WHERE id = $1', [teamId]));

describe('each team owns one Composio user id', () => {
  it('gives every new team its own unguessable id', async () => {
    const [a, b] = [await team(), await team()];
    expect(a.composioUserId).toMatch(/^sb_team_[0-9a-f]{32}$/);
    expect(b.composioUserId).toMatch(/^sb_team_[0-9a-f]{32}$/);
    expect(a.composioUserId).not.toBe(b.composioUserId);
  });

  it('shows the id read-only, with how to use it, and offers no way to change it', async () => {
    const a = await team();
    const page = await a.session.agent.get(a.page);
    expect(page.status).toBe(200);
    expect(page.text).toContain(
      `Connect accounts in the Composio dashboard under user id <code class="composio-user-id">${a.composioUserId}</code>, then Sync.`,
    );
    expect(page.text).not.toContain('name="composio_user_id"');
    expect(page.text).not.toContain('/integrations/settings');
  });

  it('syncs two teams on one server: each sees only the accounts of its own id', async () => {
    const [a, b] = [await team(), await team()];
    fake.setAccounts([
      account(a, 'gm', 'gmail', { email: 'a@team-a.test' }),
      account(b, 'gm', 'gmail', { email: 'b@team-b.test' }),
      account(b, 'gh', 'github'),
    ]);
    expect((await syncJson(a)).body).toEqual({ success: true, added: ['gmail'], removed: [], unchanged: [] });
    expect((await syncJson(b)).body).toEqual({ success: true, added: ['github', 'gmail'], removed: [], unchanged: [] });
    expect((await accountsOf(a.user.teamId)).map((r) => r.composio_account_id)).toEqual([`${a.user.teamId}_gm`]);
    expect((await accountsOf(b.user.teamId)).map((r) => r.composio_account_id)).toEqual([`${b.user.teamId}_gh`, `${b.user.teamId}_gm`]);
    const listed = fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/connected_accounts')).map((r) => r.query.user_ids);
    expect(listed).toEqual([a.composioUserId, b.composioUserId]);
  });

  it("lets no route, field or JSON body point team A at team B's id", async () => {
    const [a, b] = [await team(), await team()];
    fake.setAccounts([account(b, 'gm', 'gmail'), account(b, 'no', 'notion')]);
    await syncJson(b);
    const beforeA = await teamRow(a.user.teamId);

    // The setting's old form and every JSON shape of it are gone: 404, nothing changed.
    const attempts = [
      form(a, `${a.page}/settings`, { composio_user_id: b.composioUserId }),
      a.session.agent.post(`${a.page}/settings`).set('X-CSRF-Token', a.session.csrf).send({ composio_user_id: b.composioUserId }),
      a.session.agent.put(`${a.api}/settings`).set('X-CSRF-Token', a.session.csrf).send({ composioUserId: b.composioUserId }),
      a.session.agent.patch(`${a.api}/settings`).set('X-CSRF-Token', a.session.csrf).send({ composio_user_id: b.composioUserId }),
      a.session.agent.patch(`${a.api}`).set('X-CSRF-Token', a.session.csrf).send({ composioUserId: b.composioUserId }),
      a.session.agent.post(`${a.api}/settings`).set('X-CSRF-Token', a.session.csrf).send({ composio_user_id: b.composioUserId }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(404);

    // A sync with B's id in the body, the query or a form field syncs A's own id only.
    await syncJson(a, { composio_user_id: b.composioUserId, composioUserId: b.composioUserId, user_id: b.composioUserId });
    await a.session.agent
      .post(`${a.api}/sync?user_id=${b.composioUserId}&composio_user_id=${b.composioUserId}`)
      .set('X-CSRF-Token', a.session.csrf);
    await form(a, `${a.page}/sync`, { composio_user_id: b.composioUserId });
    const assistant = await createAssistant(t.db, a.user.teamId);
    await form(a, `/app/team/${a.user.teamId}/assistant/${assistant.id}/integrations/sync`, { composio_user_id: b.composioUserId });
    const listedFor = fake.requests.filter((r) => r.method === 'GET').map((r) => r.query.user_ids);
    expect(listedFor.filter((id) => id === b.composioUserId)).toHaveLength(1); // B's own sync above
    expect(listedFor.filter((id) => id === a.composioUserId).length).toBeGreaterThanOrEqual(3);
    expect(await accountsOf(a.user.teamId)).toEqual([]);
    expect((await teamRow(a.user.teamId)).composio_user_id).toBe(beforeA.composio_user_id);

    // Revoke and toggle of B's providers: through A's URLs there is nothing to revoke; through B's, 404.
    expect((await a.session.agent.delete(`${a.api}/gmail`).set('X-CSRF-Token', a.session.csrf)).status).toBe(409);
    expect((await form(a, `${a.page}/gmail/revoke`)).status).toBe(303);
    expect((await a.session.agent.delete(`${b.api}/gmail`).set('X-CSRF-Token', a.session.csrf)).status).toBe(404);
    expect((await form(a, `${b.page}/gmail/revoke`)).status).toBe(404);
    expect((await form(a, `${b.page}/sync`)).status).toBe(404);
    expect((await a.session.agent.patch(`${b.api}/gmail/toggle`).set('X-CSRF-Token', a.session.csrf).send({ enabled: false })).status).toBe(
      404,
    );
    expect(fake.revokedIds).toEqual([]);
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect((await accountsOf(b.user.teamId)).every((r) => !r.revoked)).toBe(true);

    // An assistant of A cannot use B's account, by either field.
    const bGmail = (await accountsOf(b.user.teamId)).find((r) => r.composio_account_id.endsWith('_gm'))!;
    const gmail = await integrationId(t.db, 'gmail');
    const addUrl = `/app/team/${a.user.teamId}/assistant/${assistant.id}/integrations/add/${gmail}`;
    expect((await form(a, addUrl, { oauth2_connection_id: String(bGmail.id) })).status).toBe(422);
    expect((await form(a, addUrl, { connection: `oauth2:${bGmail.id}` })).status).toBe(422);
    const bulk = await a.session.agent
      .post(`/app/team/${a.user.teamId}/assistant/${assistant.id}/integrations`)
      .set('X-CSRF-Token', a.session.csrf)
      .send({ integration_ids: [gmail], [`connection_${gmail}`]: `oauth2:${bGmail.id}` });
    expect(bulk.status).toBe(422);
    const used = await t.db.withOwner((tx) => tx.query('SELECT 1 FROM assistant_integrations WHERE assistant_id = $1', [assistant.id]));
    expect(used).toEqual([]);
  });

  it('refuses a second team with the same id in the database itself, even through raw SQL', async () => {
    const [a, b] = [await team(), await team()];
    // As the app role: teams' Composio user id is not writable at all.
    const asApp = await t.db
      .withUser(a.user.userId, (tx) => tx.query('UPDATE teams SET composio_user_id = $2 WHERE id = $1', [a.user.teamId, b.composioUserId]))
      .catch((error: unknown) => error);
    expect(pgErrorCode(asApp)).toBe('42501');
    // As the table owner: the unique constraint refuses the same id twice.
    const asOwner = await t.db
      .withOwner((tx) => tx.query('UPDATE teams SET composio_user_id = $2 WHERE id = $1', [a.user.teamId, b.composioUserId]))
      .catch((error: unknown) => error);
    expect(pgErrorCode(asOwner)).toBe('23505');
    const inserted = await t.db
      .withOwner((tx) =>
        tx.query("INSERT INTO teams (name, composio_user_id) VALUES ('Copycat ' || $2, $1)", [b.composioUserId, String(Date.now())]),
      )
      .catch((error: unknown) => error);
    expect(pgErrorCode(inserted)).toBe('23505');
    expect((await teamRow(a.user.teamId)).composio_user_id).toBe(a.composioUserId);
  });
});

describe('revoke records exactly what Composio confirmed', () => {
  it('when Composio refuses the 2nd of 2 accounts: the 1st is revoked here and there, the message says so', async () => {
    const a = await team();
    fake.setAccounts([account(a, 'gm1', 'gmail'), account(a, 'gm2', 'gmail')]);
    await syncJson(a);
    fake.setRefuseRevoke(`${a.user.teamId}_gm2`, 400, 'This account cannot be revoked right now');
    const res = await form(a, `${a.page}/gmail/revoke`);
    expect(res.status).toBe(303);
    expect(flashText((await a.session.agent.get(a.page)).text)).toEqual([
      'Revoked 1 of 2 Gmail accounts; Composio refused the other: This account cannot be revoked right now.',
    ]);
    expect(fake.revokedIds).toEqual([`${a.user.teamId}_gm1`]);
    // Local state equals the fake's: gm1 revoked, gm2 still there.
    expect((await accountsOf(a.user.teamId)).map((r) => [r.composio_account_id, r.revoked])).toEqual([
      [`${a.user.teamId}_gm1`, true],
      [`${a.user.teamId}_gm2`, false],
    ]);
    expect(await auditActions(t.db, a.user.teamId)).toContain('connection.revoked');

    // Once Composio accepts, the second one goes too, through the JSON API.
    fake.setRefuseRevoke(null);
    const again = await a.session.agent.delete(`${a.api}/gmail`).set('X-CSRF-Token', a.session.csrf);
    expect(again.body).toEqual({
      success: true,
      message: 'Revoked Gmail: its account was disconnected in Composio.',
      revoked: 1,
      refused: 0,
    });
    expect(fake.revokedIds.sort()).toEqual([`${a.user.teamId}_gm1`, `${a.user.teamId}_gm2`]);
    expect((await accountsOf(a.user.teamId)).every((r) => r.revoked)).toBe(true);
  });

  it('answers JSON clients with success false and the counts when Composio refuses part', async () => {
    const a = await team();
    fake.setAccounts([account(a, 'n1', 'notion'), account(a, 'n2', 'notion'), account(a, 'n3', 'notion')]);
    await syncJson(a);
    fake.setRefuseRevoke((id) => id !== `${a.user.teamId}_n1`, 409, 'Connected account is not active');
    const res = await a.session.agent.delete(`${a.api}/notion`).set('X-CSRF-Token', a.session.csrf);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: false,
      message: 'Revoked 1 of 3 Notion accounts; Composio refused the other 2: Connected account is not active.',
      revoked: 1,
      refused: 2,
    });
    expect((await accountsOf(a.user.teamId)).map((r) => r.revoked)).toEqual([true, false, false]);
  });
});

describe('sync results keep their meaning', () => {
  it('does not count a provider whose only accounts are expired or failed as added: it needs a reconnect', async () => {
    const a = await team();
    fake.setAccounts([
      account(a, 'gm', 'gmail'),
      account(a, 'cal1', 'googlecalendar', { status: 'EXPIRED' }),
      account(a, 'cal2', 'googlecalendar', { status: 'FAILED' }),
    ]);
    await form(a, `${a.page}/sync`);
    expect(flashText((await a.session.agent.get(a.page)).text)).toEqual([
      'Synced: 1 added, 0 removed, 0 unchanged. Google Calendar needs a reconnect in Composio: no account is active.',
    ]);
    const providers = (await a.session.agent.get(a.api)).body.providers as { provider: string; status: string }[];
    expect(providers.find((p) => p.provider === 'googlecalendar')!.status).toBe('needs_reconnect');
    expect(providers.find((p) => p.provider === 'gmail')!.status).toBe('connected');

    // When the calendar comes back, it is added; an expired Gmail is not "removed" but needs a reconnect.
    fake.setAccounts([account(a, 'gm', 'gmail', { status: 'EXPIRED' }), account(a, 'cal1', 'googlecalendar')]);
    expect((await syncJson(a)).body).toEqual({ success: true, added: ['googlecalendar'], removed: [], unchanged: [] });
    fake.setAccounts([account(a, 'cal1', 'googlecalendar')]);
    expect((await syncJson(a)).body).toEqual({ success: true, added: [], removed: ['gmail'], unchanged: ['googlecalendar'] });
  });

  it('keeps the copy with the latest updated_at when Composio lists an account twice', async () => {
    const a = await team();
    fake.setAccounts([
      account(a, 'dup', 'gmail', { status: 'ACTIVE', email: 'new@acme.test', updatedAt: '2026-11-20T00:00:00Z' }),
      account(a, 'dup', 'gmail', { status: 'EXPIRED', email: 'old@acme.test', updatedAt: '2026-10-01T00:00:00Z' }),
    ]);
    expect((await syncJson(a)).body).toEqual({ success: true, added: ['gmail'], removed: [], unchanged: [] });
    fake.setAccounts([
      account(a, 'dup', 'gmail', { status: 'EXPIRED', email: 'old@acme.test', updatedAt: '2026-10-01T00:00:00Z' }),
      account(a, 'dup', 'gmail', { status: 'ACTIVE', email: 'new@acme.test', updatedAt: '2026-11-20T00:00:00Z' }),
    ]);
    expect((await syncJson(a)).body).toEqual({ success: true, added: [], removed: [], unchanged: ['gmail'] });
    const row = await t.db.withOwner((tx) =>
      tx.one<{ account_identity: string; composio_status: string }>(
        'SELECT account_identity, composio_status FROM oauth2_connections WHERE team_id = $1',
        [a.user.teamId],
      ),
    );
    expect(row).toEqual({ account_identity: 'new@acme.test', composio_status: 'ACTIVE' });
  });
});
