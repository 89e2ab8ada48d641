import { createComposioGateway } from '../../server/composio/client';
import type { FakeAccount, FakeComposio } from '../fakes/composio-server';
import {
  appThroughRelay,
  createAssistant,
  createUser,
  flashText,
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

/** A team with the Composio user id it was given at creation, so tests sharing the fake do not see each other's accounts. */
async function setUp(): Promise<Setup> {
  const user = await createUser(t.db);
  const composioUserId = await teamComposioUserId(t.db, user.teamId);
  return {
    user,
    session: await signIn(t.app, user),
    page: `/app/team/${user.teamId}/integrations`,
    api: `/api/teams/${user.teamId}/integrations`,
    composioUserId,
  };
}

const account = (s: Setup, id: string, toolkit: string, extra: Partial<FakeAccount> = {}): FakeAccount => ({
  id: `${s.user.teamId}_${id}`,
  userId: s.composioUserId,
  toolkit,
  ...extra,
});
const syncJson = (s: Setup) => s.session.agent.post(`${s.api}/sync`).set('X-CSRF-Token', s.session.csrf);
const syncForm = (s: Setup) => s.session.agent.post(`${s.page}/sync`).type('form').send({ _csrf: s.session.csrf });

/** Everything sync may change, to compare before and after a failure. */
const snapshot = (teamId: number) =>
  t.db.withOwner(async (tx) => ({
    connections: await tx.query('SELECT * FROM oauth2_connections WHERE team_id = $1 ORDER BY id', [teamId]),
    team: await tx.one('SELECT last_synced_at, composio_user_id FROM teams WHERE id = $1', [teamId]),
    audit: await tx.query('SELECT action FROM audit_events WHERE team_id = $1 ORDER BY id', [teamId]),
  }));

const providers = (s: Setup) =>
  s.session.agent
    .get(s.api)
    .then((res) => res.body.providers as { provider: string; status: string; accountEmail: string | null; enabled: boolean }[]);
const provider = async (s: Setup, slug: string) => (await providers(s)).find((p) => p.provider === slug)!;

describe('sync from Composio', () => {
  it('adds, removes and keeps providers, and says so in exactly those words', async () => {
    const s = await setUp();
    fake.setAccounts([
      account(s, 'gmail', 'gmail', { email: 'team@acme.test' }),
      account(s, 'github', 'github', { alias: 'acme-bot' }),
      account(s, 'notion', 'notion'),
      account(s, 'linear', 'linear'),
    ]);
    expect((await syncJson(s)).body).toEqual({ success: true, added: ['github', 'gmail', 'linear', 'notion'], removed: [], unchanged: [] });

    fake.setAccounts([
      account(s, 'gmail', 'gmail', { email: 'team@acme.test' }),
      account(s, 'github', 'github', { alias: 'acme-bot' }),
      account(s, 'drive', 'googledrive'),
      account(s, 'docs', 'googledocs'),
      account(s, 'sheets', 'googlesheets'),
      account(s, 'notion2', 'notion'),
    ]);
    const res = await syncForm(s);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(s.page);
    const page = await s.session.agent.get(s.page);
    expect(flashText(page.text)).toEqual(['Synced: 3 added, 1 removed, 3 unchanged']);
    expect(page.text).toMatch(/id="provider-gmail"[\s\S]*?team@acme\.test[\s\S]*?>Connected</);
    expect(page.text).toMatch(/id="provider-linear"[\s\S]*?>Not connected</);
    expect(page.text).toMatch(/id="provider-google_drive"[\s\S]*?>Connected</);
    expect(await auditActions(t.db, s.user.teamId)).toEqual(['composio.synced', 'composio.synced']);
  });

  it('answers no connected accounts with success and empty lists', async () => {
    const s = await setUp();
    const res = await syncJson(s);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, added: [], removed: [], unchanged: [] });
    expect((await s.session.agent.get(s.api)).body.lastSyncedAt).not.toBeNull();
  });

  it('maps googledrive and google_drive to Google Drive, logs and skips unknown toolkits', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'd1', 'googledrive'), account(s, 'd2', 'google_drive'), account(s, 'x', 'slack_unknown')]);
    const res = await syncJson(s);
    expect(res.body).toEqual({ success: true, added: ['google_drive'], removed: [], unchanged: [] });
    const rows = await t.db.withOwner((tx) =>
      tx.query<{ composio_toolkit: string }>(
        'SELECT composio_toolkit FROM oauth2_connections WHERE team_id = $1 ORDER BY composio_toolkit',
        [s.user.teamId],
      ),
    );
    expect(rows.map((r) => r.composio_toolkit)).toEqual(['google_drive', 'googledrive']);
    expect(
      t.logs.filter(
        (l) => l.msg === 'Composio account of an unknown toolkit skipped' && l.toolkit === 'slack_unknown' && l.teamId === s.user.teamId,
      ),
    ).toHaveLength(1);
  });

  it('keeps one row per account and takes status and identity from the most recent usable account', async () => {
    const s = await setUp();
    fake.setAccounts([
      account(s, 'old', 'gmail', { email: 'old@acme.test', updatedAt: '2026-01-01T00:00:00Z' }),
      account(s, 'new', 'gmail', { email: 'new@acme.test', updatedAt: '2026-03-01T00:00:00Z' }),
      account(s, 'newest-expired', 'gmail', { email: 'expired@acme.test', status: 'EXPIRED', updatedAt: '2026-04-01T00:00:00Z' }),
    ]);
    await syncJson(s);
    expect(await provider(s, 'gmail')).toMatchObject({ status: 'connected', accountEmail: 'new@acme.test' });
    const count = await t.db.withOwner((tx) =>
      tx.one<{ n: number }>('SELECT count(*)::int AS n FROM oauth2_connections WHERE team_id = $1', [s.user.teamId]),
    );
    expect(count.n).toBe(3);
  });

  it('shows Needs reconnect when no account of a provider is usable', async () => {
    const s = await setUp();
    fake.setAccounts([
      account(s, 'a', 'github', { status: 'EXPIRED' }),
      account(s, 'b', 'notion', { isDisabled: true }),
      account(s, 'c', 'linear', { status: 'INITIATED' }),
    ]);
    await syncJson(s);
    for (const slug of ['github', 'notion', 'linear']) expect((await provider(s, slug)).status).toBe('needs_reconnect');
  });

  it('follows every page of a long list', async () => {
    const s = await setUp();
    fake.setAccounts(Array.from({ length: 450 }, (_, i) => account(s, `n${i}`, i % 2 ? 'notion' : 'github')));
    const res = await syncJson(s);
    expect(res.body.added).toEqual(['github', 'notion']);
    const lists = fake.requests.filter((r) => r.method === 'GET' && r.path === '/api/v3.1/connected_accounts');
    expect(lists).toHaveLength(3);
    expect(lists.every((r) => Number(r.query.limit) > 0 && r.query.user_ids === s.composioUserId)).toBe(true);
    const count = await t.db.withOwner((tx) =>
      tx.one<{ n: number }>('SELECT count(*)::int AS n FROM oauth2_connections WHERE team_id = $1', [s.user.teamId]),
    );
    expect(count.n).toBe(450);
  });

  it('never changes the local enabled flag', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gh', 'github')]);
    await syncJson(s);
    await s.session.agent.patch(`${s.api}/github/toggle`).set('X-CSRF-Token', s.session.csrf).send({ enabled: false });
    fake.setAccounts([account(s, 'gh', 'github'), account(s, 'gh2', 'github')]);
    await syncJson(s);
    expect(await provider(s, 'github')).toMatchObject({ status: 'disabled', enabled: false });
  });

  it('marks accounts that vanished as disconnected, keeps the rows, and assistants show Connection lost', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail')]);
    await syncJson(s);
    const assistant = await createAssistant(t.db, s.user.teamId, 'Mailer');
    const conn = await t.db.withOwner((tx) =>
      tx.one<{ id: number }>('SELECT id FROM oauth2_connections WHERE team_id = $1', [s.user.teamId]),
    );
    await addToAssistant(t.db, s.user.teamId, assistant.id, 'gmail', { oauth2: conn.id });
    fake.setAccounts([]);
    // Composio lists nothing at all, so the sync needs confirm (test/http/guards.test.ts covers the refusal).
    expect((await syncJson(s).send({ confirm: true })).body).toEqual({ success: true, added: [], removed: ['gmail'], unchanged: [] });
    const row = await t.db.withOwner((tx) =>
      tx.one<{ disconnected_at: Date | null }>('SELECT disconnected_at FROM oauth2_connections WHERE id = $1', [conn.id]),
    );
    expect(row.disconnected_at).not.toBeNull();
    const page = await s.session.agent
      .get(`/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations`)
      .set('Accept', 'application/json');
    expect(page.body.integrations.find((i: { slug: string }) => i.slug === 'gmail')).toMatchObject({ status: 'connection_lost' });
  });

  it('writes only the accounts that changed, and still says when each provider was last synced', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail', { email: 'a@acme.test' }), account(s, 'gh', 'github'), account(s, 'no', 'notion')]);
    await syncJson(s);
    // xmin is the transaction that wrote a row's current version: a row not rewritten keeps it.
    const versions = () =>
      t.db.withOwner((tx) =>
        tx.query<{ composio_account_id: string; xmin: string }>(
          'SELECT composio_account_id, xmin::text FROM oauth2_connections WHERE team_id = $1 ORDER BY composio_account_id',
          [s.user.teamId],
        ),
      );
    const before = await versions();
    fake.setAccounts([
      account(s, 'gm', 'gmail', { email: 'a@acme.test' }),
      account(s, 'gh', 'github', { status: 'EXPIRED', updatedAt: '2026-02-01T00:00:00.000Z' }),
      account(s, 'no', 'notion'),
    ]);
    expect((await syncJson(s)).status).toBe(200);
    const after = await versions();
    const changed = after.filter((row, i) => row.xmin !== before[i]!.xmin).map((row) => row.composio_account_id);
    expect(changed).toEqual([`${s.user.teamId}_gh`]);
    expect(await provider(s, 'github')).toMatchObject({ status: 'needs_reconnect' });
    const synced = await t.db.withOwner((tx) =>
      tx.one<{ last_synced_at: Date }>('SELECT last_synced_at FROM teams WHERE id = $1', [s.user.teamId]),
    );
    const page = await s.session.agent.get(s.page);
    const formatted = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(
      synced.last_synced_at,
    );
    expect(page.text).toMatch(
      new RegExp(`id="provider-gmail"[\\s\\S]*?synced <time datetime="[^"]+Z" title="${formatted} UTC">just now</time>`),
    );
  });

  it('writes an account when any one thing Composio says about it changes, and only that account', async () => {
    const s = await setUp();
    const base = (id: string, toolkit = 'gmail'): FakeAccount =>
      account(s, id, toolkit, {
        email: `${id}@acme.test`,
        status: 'ACTIVE',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-02T00:00:00.000Z',
      });
    const ids = ['email', 'alias', 'status', 'reason', 'disabled', 'created', 'updated', 'toolkit', 'same'];
    fake.setAccounts(ids.map((id) => base(id, id === 'toolkit' ? 'googledrive' : 'gmail')));
    expect((await syncJson(s)).status).toBe(200);
    const rows = () =>
      t.db.withOwner((tx) =>
        tx.query<Record<string, unknown> & { composio_account_id: string; xmin: string }>(
          `SELECT composio_account_id, xmin::text, account_identity, composio_status, composio_status_reason, composio_disabled,
                  connected_at, composio_updated_at, composio_toolkit
             FROM oauth2_connections WHERE team_id = $1 ORDER BY composio_account_id`,
          [s.user.teamId],
        ),
      );
    const before = await rows();
    fake.setAccounts([
      { ...base('email'), email: 'new@acme.test' },
      { ...base('alias'), alias: 'Shared inbox' },
      { ...base('status'), status: 'EXPIRED' },
      { ...base('reason'), statusReason: 'The token was revoked' },
      { ...base('disabled'), isDisabled: true },
      { ...base('created'), createdAt: '2025-12-31T23:59:59.999Z' },
      { ...base('updated'), updatedAt: '2026-03-01T00:00:00.001Z' },
      base('toolkit', 'google_drive'),
      base('same'),
    ]);
    expect((await syncJson(s)).status).toBe(200);
    const after = await rows();
    const rewritten = after.filter((row, i) => row.xmin !== before[i]!.xmin).map((row) => row.composio_account_id.split('_').pop());
    expect(rewritten.sort()).toEqual(ids.filter((id) => id !== 'same').sort());
    const row = (id: string) => after.find((r) => r.composio_account_id === `${s.user.teamId}_${id}`)!;
    expect(row('email').account_identity).toBe('new@acme.test');
    expect(row('alias').account_identity).toBe('Shared inbox');
    expect(row('status').composio_status).toBe('EXPIRED');
    expect(row('reason').composio_status_reason).toBe('The token was revoked');
    expect(row('disabled').composio_disabled).toBe(true);
    expect((row('created').connected_at as Date).toISOString()).toBe('2025-12-31T23:59:59.999Z');
    expect((row('updated').composio_updated_at as Date).toISOString()).toBe('2026-03-01T00:00:00.001Z');
    expect(row('toolkit').composio_toolkit).toBe('google_drive');
  });

  it('brings back an account that vanished when Composio lists it again unchanged', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail'), account(s, 'gh', 'github')]);
    await syncJson(s);
    fake.setAccounts([account(s, 'gh', 'github')]);
    expect((await syncJson(s)).body).toMatchObject({ removed: ['gmail'] });
    fake.setAccounts([account(s, 'gm', 'gmail'), account(s, 'gh', 'github')]);
    expect((await syncJson(s)).body).toMatchObject({ added: ['gmail'], removed: [] });
    expect(await provider(s, 'gmail')).toMatchObject({ status: 'connected' });
  });

  it('is offered on the assistant integrations page and goes back there', async () => {
    const s = await setUp();
    const assistant = await createAssistant(t.db, s.user.teamId);
    fake.setAccounts([account(s, 'gm', 'gmail')]);
    const url = `/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations`;
    expect((await s.session.agent.get(url)).text).toContain(`action="${url}/sync"`);
    const res = await s.session.agent.post(`${url}/sync`).type('form').send({ _csrf: s.session.csrf });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(url);
    expect(flashText((await s.session.agent.get(url)).text)).toEqual(['Synced: 1 added, 0 removed, 0 unchanged']);
  });
});

describe('a Composio failure leaves the database exactly as it was', () => {
  const failures: [string, (s: Setup) => void, RegExp][] = [
    ['a 500 with a message', () => fake.failAlways({ status: 500, message: 'Upstream exploded' }), /Upstream exploded/],
    ['a 401 (wrong API key)', () => fake.failAlways({ status: 401, message: 'Invalid API key' }), /Invalid API key/],
    [
      'a 429 with a long Retry-After',
      () => fake.failAlways({ status: 429, message: 'Slow down', retryAfterSeconds: 120 }),
      /rate limiting/,
    ],
    ['a timeout', () => fake.setDelayMs(1000), /did not answer within/],
    ['a malformed body', () => fake.setMalformed('wrong-shape'), /could not read/],
    [
      'a failure on the second page',
      (s) => {
        fake.setAccounts(Array.from({ length: 250 }, (_, i) => account(s, `p${i}`, 'notion')));
        let lists = 0;
        fake.onRequest((r) => {
          if (r.method === 'GET' && ++lists % 2 === 0) fake.failNext(3, { status: 503, message: 'Page two is down' });
        });
      },
      /Page two is down/,
    ],
  ];

  it.each(failures)('%s: JSON 500 with the reason, form flash with the reason', async (_label, arrange, reason) => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail')]);
    await syncJson(s);
    const before = await snapshot(s.user.teamId);
    arrange(s);
    const res = await syncJson(s);
    expect(res.status).toBe(500);
    expect(res.body.error).toBe('composio_error');
    expect(res.body.message).toMatch(reason);
    const formRes = await syncForm(s);
    expect(formRes.status).toBe(303);
    const page = await s.session.agent.get(s.page);
    expect(flashText(page.text)[0]).toMatch(reason);
    expect(flashText(page.text)[0]).toContain('Nothing was changed.');
    fake.reset();
    expect(await snapshot(s.user.teamId)).toEqual(before);
  });

  it('retries a 429 with a short Retry-After and then succeeds', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail')]);
    fake.failNext(1, { status: 429, message: 'Slow down', retryAfterSeconds: 0.05 });
    const res = await syncJson(s);
    expect(res.status).toBe(200);
    expect(res.body.added).toEqual(['gmail']);
  });
});

describe('concurrent syncs', () => {
  it('never double-apply: a second sync of the team waits for the first and finds its changes', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail'), account(s, 'gh', 'github')]);
    fake.setDelayMs(150);
    const results = await Promise.all([syncJson(s), syncJson(s), syncJson(s)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const bodies = results.map((r) => r.body).sort((a, b) => b.added.length - a.added.length);
    expect(bodies).toEqual([
      { success: true, added: ['github', 'gmail'], removed: [], unchanged: [] },
      { success: true, added: [], removed: [], unchanged: ['github', 'gmail'] },
      { success: true, added: [], removed: [], unchanged: ['github', 'gmail'] },
    ]);
    const count = await t.db.withOwner((tx) =>
      tx.one<{ n: number }>('SELECT count(*)::int AS n FROM oauth2_connections WHERE team_id = $1', [s.user.teamId]),
    );
    expect(count.n).toBe(2);
    expect((await auditActions(t.db, s.user.teamId)).filter((a) => a === 'composio.synced')).toHaveLength(3);
  });
});

describe('the database going away in the middle of a sync', () => {
  it('answers 503 and writes nothing while Composio was listing; the next sync applies the listing', async () => {
    const {
      app,
      proxy,
      close: closeRelay,
    } = await appThroughRelay({
      composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 2000, maxRetries: 0 }),
    });
    try {
      const s = await setUp();
      const session = await signIn(app, s.user);
      const sync = () => session.agent.post(`${s.api}/sync`).set('X-CSRF-Token', session.csrf).set('Accept', 'application/json');
      fake.setAccounts([account(s, 'gm', 'gmail'), account(s, 'gh', 'github'), account(s, 'no', 'notion')]);
      expect((await sync()).status).toBe(200);
      const before = await snapshot(s.user.teamId);

      // One account changed, one gone, one new: and the database goes away while Composio answers.
      fake.setAccounts([
        account(s, 'gm', 'gmail', { status: 'EXPIRED', updatedAt: '2026-02-01T00:00:00.000Z' }),
        account(s, 'gh', 'github'),
        account(s, 'li', 'linear'),
      ]);
      fake.setDelayMs(100);
      fake.onRequest(() => void proxy.cut());
      const res = await sync();
      fake.onRequest(null);
      fake.setDelayMs(0);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: 'database_unavailable' });
      expect(await snapshot(s.user.teamId)).toEqual(before);

      await proxy.restore();
      expect((await sync()).body).toEqual({ success: true, added: ['linear'], removed: ['notion'], unchanged: ['github'] });
      expect(await provider(s, 'gmail')).toMatchObject({ status: 'needs_reconnect' });
    } finally {
      await closeRelay();
    }
  });
});

describe('revoke', () => {
  it('deletes the accounts in Composio with upstream revocation, then marks them revoked here', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gh1', 'github'), account(s, 'gh2', 'github'), account(s, 'gm', 'gmail')]);
    await syncJson(s);
    const confirm = await s.session.agent.get(`${s.page}/github/revoke`);
    expect(confirm.text).toContain('Revoke GitHub?');
    const res = await s.session.agent.post(`${s.page}/github/revoke`).type('form').send({ _csrf: s.session.csrf });
    expect(res.status).toBe(303);
    expect(flashText((await s.session.agent.get(s.page)).text)).toEqual(['Revoked GitHub: 2 accounts were disconnected in Composio.']);
    expect(fake.revokedIds.sort()).toEqual([`${s.user.teamId}_gh1`, `${s.user.teamId}_gh2`]);
    expect(fake.requests.filter((r) => r.method === 'DELETE').every((r) => r.query.revoke_on_delete === 'true')).toBe(true);
    expect(await provider(s, 'github')).toMatchObject({ status: 'not_connected' });
    expect(await provider(s, 'gmail')).toMatchObject({ status: 'connected' });
    expect(await auditActions(t.db, s.user.teamId)).toContain('connection.revoked');
  });

  it('changes nothing here when Composio refuses, and says why', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'gm', 'gmail')]);
    await syncJson(s);
    const before = await snapshot(s.user.teamId);
    fake.setRefuseRevoke(() => true, 400, 'This toolkit cannot revoke tokens');
    const res = await s.session.agent.delete(`${s.api}/gmail`).set('X-CSRF-Token', s.session.csrf);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'composio_error', message: expect.stringContaining('This toolkit cannot revoke tokens') });
    const formRes = await s.session.agent.post(`${s.page}/gmail/revoke`).type('form').send({ _csrf: s.session.csrf });
    expect(formRes.status).toBe(303);
    expect(flashText((await s.session.agent.get(s.page)).text)[0]).toContain('This toolkit cannot revoke tokens');
    expect(await snapshot(s.user.teamId)).toEqual(before);
  });

  it('revokes through the JSON API', async () => {
    const s = await setUp();
    fake.setAccounts([account(s, 'no', 'notion')]);
    await syncJson(s);
    const res = await s.session.agent.delete(`${s.api}/notion`).set('X-CSRF-Token', s.session.csrf);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(await provider(s, 'notion')).toMatchObject({ status: 'not_connected' });
    // Revoked accounts that Composio still lists do not come back as connected.
    fake.setAccounts([account(s, 'no', 'notion')]);
    expect((await syncJson(s)).body).toEqual({ success: true, added: [], removed: [], unchanged: [] });
  });

  it('answers a provider with nothing to revoke with 409', async () => {
    const s = await setUp();
    const res = await s.session.agent.delete(`${s.api}/linear`).set('X-CSRF-Token', s.session.csrf);
    expect(res.status).toBe(409);
    expect(res.body.message).toBe('Linear has no connected account to revoke.');
  });
});

describe('statement count', () => {
  it('syncs 100 or 5,000 accounts in the same number of statements', async () => {
    const counts: number[] = [];
    for (const size of [100, 5000]) {
      const s = await setUp();
      fake.setAccounts(Array.from({ length: size }, (_, i) => account(s, `bulk${i}`, ['gmail', 'github', 'notion', 'linear'][i % 4]!)));
      const before = t.statements.length;
      const res = await syncJson(s);
      expect(res.status).toBe(200);
      counts.push(t.statements.length - before);
      const n = await t.db.withOwner((tx) =>
        tx.one<{ n: number }>('SELECT count(*)::int AS n FROM oauth2_connections WHERE team_id = $1', [s.user.teamId]),
      );
      expect(n.n).toBe(size);
    }
    expect(counts[1]).toBe(counts[0]);
  });
});

it('uses a createOAuth2Connection fixture the same way sync stores rows', async () => {
  // Guards the fixtures other tests rely on: a fixture row looks like a synced one to the page.
  const s = await setUp();
  await createOAuth2Connection(t.db, s.user.teamId, 'notion', { identity: 'wiki@acme.test' });
  expect(await provider(s, 'notion')).toMatchObject({ status: 'connected', accountEmail: 'wiki@acme.test' });
});
