import { decryptSecret } from '../../server/crypto/secrets';
import {
  createAssistant,
  createUser,
  flashText,
  makeTestApp,
  postForm,
  signIn,
  TEST_ENCRYPTION_KEY,
  type SignedIn,
  type TestApp,
  type TestUser,
} from '../helpers/app';
import { addToAssistant, auditActions, createOAuth2Connection, integrationId } from '../helpers/fixtures';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

interface Setup {
  user: TestUser;
  session: SignedIn;
  page: string;
  api: string;
}

async function setUp(role: 'admin' | 'member' = 'admin'): Promise<Setup> {
  const user = await createUser(t.db, { role });
  return {
    user,
    session: await signIn(t.app, user),
    page: `/app/team/${user.teamId}/integrations`,
    api: `/api/teams/${user.teamId}/integrations`,
  };
}

const form = (s: Setup, url: string, body: Record<string, string> = {}) => postForm(s.session, url, body);
const json = (s: Setup, method: 'patch' | 'delete' | 'post', url: string, body?: object) =>
  s.session.agent[method](url).set('X-CSRF-Token', s.session.csrf).send(body);

const keysOf = (teamId: number) =>
  t.db.withOwner((tx) =>
    tx.query<{ label: string; secret_encrypted: string; secret_hint: string }>(
      'SELECT label, secret_encrypted, secret_hint FROM api_key_connections WHERE team_id = $1 ORDER BY id',
      [teamId],
    ),
  );

describe('the team integrations page', () => {
  it('shows each provider with its status, grouped by category', async () => {
    const s = await setUp();
    await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'team@acme.test' });
    await createOAuth2Connection(t.db, s.user.teamId, 'github', { enabled: false, identity: 'acme-org' });
    await createOAuth2Connection(t.db, s.user.teamId, 'googlecalendar', { status: 'EXPIRED' });
    const res = await s.session.agent.get(s.page);
    expect(res.status).toBe(200);
    const headings = [...res.text.matchAll(/<h2 id="pcat-[^"]*">([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(headings).toEqual(['Required', 'Documents', 'Scheduling', 'Development', 'Productivity']);
    expect(res.text).toMatch(/id="provider-gmail"[\s\S]*?team@acme\.test[\s\S]*?>Connected</);
    expect(res.text).toMatch(/id="provider-github"[\s\S]*?>Connected, disabled here</);
    expect(res.text).toMatch(/id="provider-googlecalendar"[\s\S]*?>Needs reconnect<[\s\S]*?How to connect/);
    expect(res.text).toMatch(/id="provider-notion"[\s\S]*?>Not connected<[\s\S]*?How to connect/);
    expect(res.text).toContain('Syncing from Composio is not configured on this server');
  });

  it('answers the JSON API in the documented shape', async () => {
    const s = await setUp();
    const conn = await createOAuth2Connection(t.db, s.user.teamId, 'gmail', { identity: 'team@acme.test' });
    const assistant = await createAssistant(t.db, s.user.teamId);
    await addToAssistant(t.db, s.user.teamId, assistant.id, 'gmail', { oauth2: conn });
    const res = await s.session.agent.get(s.api);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ configured: false, lastSyncedAt: null });
    expect(res.body.providers.map((p: { provider: string }) => p.provider)).toEqual([
      'gmail',
      'googledocs',
      'googlesheets',
      'google_drive',
      'googlecalendar',
      'github',
      'notion',
      'linear',
    ]);
    expect(res.body.providers[0]).toEqual({
      provider: 'gmail',
      label: 'Gmail',
      icon: 'Gm',
      required: true,
      category: 'Required',
      description: expect.any(String),
      connected: true,
      enabled: true,
      status: 'connected',
      accountEmail: 'team@acme.test',
      usedBy: 1,
    });
    expect(res.body.providers[6]).toMatchObject({
      provider: 'notion',
      connected: false,
      status: 'not_connected',
      accountEmail: null,
      usedBy: 0,
    });
    const page = await s.session.agent.get(s.page).set('Accept', 'application/json');
    expect(page.body).toEqual(res.body);
  });

  it('explains how to connect, as a page and as a dialog fragment', async () => {
    const s = await setUp();
    const page = await s.session.agent.get(`${s.page}/notion/connect`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html');
    // Composio is not configured here: no dashboard steps, no Sync to press, no settings to set.
    expect(page.text).toContain('Notion accounts connect through Composio, which is not set up on this server.');
    expect(page.text).not.toContain('Sync from Composio');
    expect(page.text).not.toContain('platform.composio.dev');
    expect(page.text).not.toContain('COMPOSIO_API_KEY');
    const fragment = await s.session.agent.get(`${s.page}/notion/connect`).set('HX-Request', 'true').set('HX-Target', 'connect-body');
    expect(fragment.text).not.toContain('<html');
    expect(fragment.text).toContain('id="connect-title"');
    expect((await s.session.agent.get(`${s.page}/tavily/connect`)).status).toBe(404);
    expect((await s.session.agent.get(`${s.page}/Not-A-Provider!/connect`)).status).toBe(400);
  });

  it('shows the last 20 audit events as recent activity', async () => {
    const s = await setUp();
    for (let i = 0; i < 22; i++) await form(s, `${s.page}/tavily/api-keys`, { label: `key ${i}`, key: `tvly-${'x'.repeat(20)}${i}` });
    const res = await s.session.agent.get(s.page);
    const rows = res.text.split('id="activity-heading"')[1]!.match(/<tr><td>/g) ?? [];
    expect(rows).toHaveLength(20);
    expect(res.text).toContain(`Added API key key 21 (Tavily Search)`);
    expect(res.text).not.toContain(`Added API key key 1 (Tavily Search)`);
  });
});

describe('enable and disable', () => {
  it('toggles locally with a flash and an audit row (form), and through the JSON API', async () => {
    const s = await setUp();
    await createOAuth2Connection(t.db, s.user.teamId, 'github');
    const off = await form(s, `${s.page}/github/toggle`, { enabled: 'false' });
    expect(off.status).toBe(303);
    const page = await s.session.agent.get(s.page);
    expect(flashText(page.text)[0]).toMatch(/^Disabled GitHub for /);
    expect(page.text).toMatch(/id="provider-github"[\s\S]*?>Connected, disabled here</);
    const on = await json(s, 'patch', `${s.api}/github/toggle`, { enabled: true });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ success: true, enabled: true });
    expect(await auditActions(t.db, s.user.teamId)).toEqual(['connection.disabled', 'connection.enabled']);
  });

  it('refuses a toggle without a valid value or for a provider that is not connected', async () => {
    const s = await setUp();
    await createOAuth2Connection(t.db, s.user.teamId, 'github');
    const bad = await json(s, 'patch', `${s.api}/github/toggle`, { enabled: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/"enabled" must be true or false/);
    const none = await json(s, 'patch', `${s.api}/notion/toggle`, { enabled: false });
    expect(none.status).toBe(409);
    expect(none.body.message).toBe('Notion is not connected, so there is nothing to disable.');
    expect((await json(s, 'patch', `${s.api}/nosuch/toggle`, { enabled: false })).status).toBe(404);
  });

  it('makes assistants that use a disabled provider show Connection lost', async () => {
    const s = await setUp();
    const conn = await createOAuth2Connection(t.db, s.user.teamId, 'gmail');
    const assistant = await createAssistant(t.db, s.user.teamId, 'Mailer');
    await addToAssistant(t.db, s.user.teamId, assistant.id, 'gmail', { oauth2: conn });
    // An assistant uses it, so the disable needs confirm (test/http/guards.test.ts covers the refusal).
    expect((await json(s, 'patch', `${s.api}/gmail/toggle`, { enabled: false, confirm: true })).status).toBe(200);
    const res = await s.session.agent
      .get(`/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations`)
      .set('Accept', 'application/json');
    expect(res.body.integrations.find((i: { slug: string }) => i.slug === 'gmail')).toMatchObject({ status: 'connection_lost' });
  });
});

describe('API keys', () => {
  it('stores keys encrypted, shows them only masked, and never returns them', async () => {
    const s = await setUp();
    const secret = 'tvly-SECRET-abcdefghijklmnop-9876';
    const res = await form(s, `${s.page}/tavily/api-keys`, { label: 'Research key', key: secret });
    expect(res.status).toBe(303);
    const [row] = await keysOf(s.user.teamId);
    expect(row!.secret_encrypted).not.toContain(secret);
    expect(row!.secret_encrypted).toMatch(/^v1:/);
    expect(decryptSecret(Buffer.from(TEST_ENCRYPTION_KEY, 'hex'), row!.secret_encrypted)).toBe(secret);
    expect(row!.secret_hint).toBe('••••9876');

    const page = await s.session.agent.get(s.page);
    expect(flashText(page.text)).toEqual(['Added the API key "Research key" for Tavily Search.']);
    expect(page.text).toContain('••••9876');
    const assistant = await createAssistant(t.db, s.user.teamId);
    const answers = await Promise.all([
      s.session.agent.get(s.page),
      s.session.agent.get(s.api),
      s.session.agent.get(`/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations`),
      s.session.agent.get(`/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations`).set('Accept', 'application/json'),
      s.session.agent.get(`/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations/add/${await integrationId(t.db, 'tavily')}`),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(secret);
      expect(answer.text).not.toContain(row!.secret_encrypted);
    }
    expect(JSON.stringify(t.logs)).not.toContain(secret);
  });

  it('refuses a bad key or label with 422 in words, and an integration that takes no key with 404', async () => {
    const s = await setUp();
    const short = await form(s, `${s.page}/tavily/api-keys`, { label: 'x', key: 'abc' });
    expect(short.status).toBe(422);
    expect(short.text).toContain('That API key is too short');
    expect((await form(s, `${s.page}/tavily/api-keys`, { label: '', key: 'abcdefghijkl' })).status).toBe(422);
    expect((await form(s, `${s.page}/gmail/api-keys`, { label: 'x', key: 'abcdefghijkl' })).status).toBe(404);
    expect(await keysOf(s.user.teamId)).toEqual([]);
  });

  it('deletes a key after confirmation; assistants that used it show Connection lost', async () => {
    const s = await setUp();
    await form(s, `${s.page}/tavily/api-keys`, { label: 'Old key', key: 'tvly-0123456789abcdef' });
    const keyId = (
      await t.db.withOwner((tx) => tx.one<{ id: number }>('SELECT id FROM api_key_connections WHERE team_id = $1', [s.user.teamId]))
    ).id;
    const assistant = await createAssistant(t.db, s.user.teamId, 'Researcher');
    const add = await s.session.agent
      .post(`/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations/add/${await integrationId(t.db, 'tavily')}`)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', s.session.csrf)
      .send({ api_connection_id: keyId });
    expect(add.status).toBe(200);
    const confirm = await s.session.agent.get(`${s.page}/api-keys/${keyId}/delete`);
    expect(confirm.text).toContain('1 assistant that uses it will show');
    const del = await form(s, `${s.page}/api-keys/${keyId}/delete`);
    expect(del.status).toBe(303);
    expect(await keysOf(s.user.teamId)).toEqual([]);
    const res = await s.session.agent
      .get(`/app/team/${s.user.teamId}/assistant/${assistant.id}/integrations`)
      .set('Accept', 'application/json');
    expect(res.body.integrations.find((i: { slug: string }) => i.slug === 'tavily')).toMatchObject({
      added: true,
      status: 'connection_lost',
      connection: null,
    });
  });
});

describe('a team with many API keys', () => {
  const addKeys = (teamId: number, slug: string, n: number) =>
    t.db.withOwner((tx) =>
      tx.query(
        `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
         SELECT $1, i.id, 'key ' || lpad(g::text, 3, '0'), 'not-a-real-ciphertext', '••••' || lpad(g::text, 4, '0')
           FROM integrations i CROSS JOIN generate_series(1, $3) g WHERE i.slug = $2`,
        [teamId, slug, n],
      ),
    );
  const labelsIn = (html: string) => [...html.matchAll(/<tr>\s*<td>(key \d+)<\/td>/g)].map((m) => m[1]);

  it('shows the first 10 keys of each integration on the team page and links to all of them', async () => {
    const s = await setUp();
    await addKeys(s.user.teamId, 'tavily', 13);
    await addKeys(s.user.teamId, 'github', 2);
    const page = await s.session.agent.get(s.page);
    const tavily = page.text.split('id="api-keys-tavily"')[1]!;
    expect(labelsIn(tavily)).toEqual(Array.from({ length: 10 }, (_, i) => `key ${String(i + 1).padStart(3, '0')}`));
    expect(tavily).toContain(`Showing 10 of 13. <a href="${s.page}/tavily/api-keys">Show all 13 Tavily Search keys</a>`);
    const github = page.text.split('id="api-keys-github"')[1]!.split('id="api-keys-')[0]!;
    expect(labelsIn(github)).toEqual(['key 001', 'key 002']);
    expect(github).not.toContain('Show all');
  });

  it('lists all of one integration’s keys 50 to a page', async () => {
    const s = await setUp();
    await addKeys(s.user.teamId, 'tavily', 53);
    const first = await s.session.agent.get(`${s.page}/tavily/api-keys`);
    expect(first.status).toBe(200);
    expect(first.text).toContain('53 keys, page 1 of 2.');
    expect(labelsIn(first.text)).toHaveLength(50);
    expect(first.text).toContain(`href="${s.page}/tavily/api-keys?page=2" rel="next"`);
    const second = await s.session.agent.get(`${s.page}/tavily/api-keys?page=2`);
    expect(labelsIn(second.text)).toEqual(['key 051', 'key 052', 'key 053']);
    expect(second.text).not.toContain('rel="next"');
    const past = await s.session.agent.get(`${s.page}/tavily/api-keys?page=9`);
    expect(past.status).toBe(200);
    expect(past.text).toContain('No keys on this page.');
    const bad = await s.session.agent.get(`${s.page}/tavily/api-keys?page=0`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('page starts at 1.');
    expect((await s.session.agent.get(`${s.page}/gmail/api-keys`)).status).toBe(404);
    const other = await setUp();
    const theirs = await other.session.agent.get(`${other.page}/tavily/api-keys`);
    expect(theirs.text).toContain('0 keys.');
    expect((await other.session.agent.get(`${s.page}/tavily/api-keys`)).status).toBe(404);
  });

  it('counts each provider’s assistants once however many of their rows use it', async () => {
    const s = await setUp();
    const conns = [await createOAuth2Connection(t.db, s.user.teamId, 'gmail'), await createOAuth2Connection(t.db, s.user.teamId, 'gmail')];
    const gh = await createOAuth2Connection(t.db, s.user.teamId, 'github');
    for (let i = 0; i < 3; i++) {
      const assistant = await createAssistant(t.db, s.user.teamId);
      await addToAssistant(t.db, s.user.teamId, assistant.id, 'gmail', { oauth2: conns[i % 2] });
      if (i === 0) await addToAssistant(t.db, s.user.teamId, assistant.id, 'github', { oauth2: gh });
    }
    const other = await setUp();
    const theirs = await createOAuth2Connection(t.db, other.user.teamId, 'gmail');
    const theirAssistant = await createAssistant(t.db, other.user.teamId);
    await addToAssistant(t.db, other.user.teamId, theirAssistant.id, 'gmail', { oauth2: theirs });
    const usedBy = Object.fromEntries(
      (await s.session.agent.get(s.api)).body.providers.map((p: { provider: string; usedBy: number }) => [p.provider, p.usedBy]),
    );
    expect(usedBy).toMatchObject({ gmail: 3, github: 1, notion: 0 });
  });
});

describe('roles and teams', () => {
  it('shows members the page read-only and answers their changes with 403, changing nothing', async () => {
    const admin = await setUp();
    const member = await createUser(t.db, {
      role: 'member',
      email: undefined,
      team: await t.db
        .withOwner((tx) => tx.one<{ name: string }>('SELECT name FROM teams WHERE id = $1', [admin.user.teamId]))
        .then((r) => r.name),
    });
    const s: Setup = { ...admin, user: member, session: await signIn(t.app, member) };
    await createOAuth2Connection(t.db, admin.user.teamId, 'github');
    await form(admin, `${admin.page}/tavily/api-keys`, { label: 'Key', key: 'tvly-0123456789abcdef' });
    const keyId = (
      await t.db.withOwner((tx) => tx.one<{ id: number }>('SELECT id FROM api_key_connections WHERE team_id = $1', [admin.user.teamId]))
    ).id;

    const page = await s.session.agent.get(s.page);
    expect(page.status).toBe(200);
    expect(page.text).toContain('only team admins can sync');
    expect(page.text).not.toContain('/toggle"');
    expect(page.text).not.toContain('api-keys" class="inline-form"');
    expect((await form(s, `${s.page}/sync`)).status).toBe(403);
    expect((await form(s, `${s.page}/github/toggle`, { enabled: 'false' })).status).toBe(403);
    expect((await form(s, `${s.page}/github/revoke`)).status).toBe(403);
    expect((await form(s, `${s.page}/tavily/api-keys`, { label: 'Mine', key: 'tvly-0123456789abcdef' })).status).toBe(403);
    expect((await form(s, `${s.page}/api-keys/${keyId}/delete`)).status).toBe(403);
    expect((await json(s, 'patch', `${s.api}/github/toggle`, { enabled: false })).status).toBe(403);
    expect((await json(s, 'delete', `${s.api}/github`)).status).toBe(403);
    expect((await json(s, 'post', `${s.api}/sync`)).status).toBe(403);
    expect((await keysOf(admin.user.teamId)).map((k) => k.label)).toEqual(['Key']);
    const github = await t.db.withOwner((tx) =>
      tx.one<{ enabled: boolean; revoked_at: Date | null }>(
        "SELECT enabled, revoked_at FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id WHERE o.team_id = $1 AND i.slug = 'github'",
        [admin.user.teamId],
      ),
    );
    expect(github).toEqual({ enabled: true, revoked_at: null });
  });

  it('answers another team’s ids with 404 and changes nothing', async () => {
    const s = await setUp();
    const other = await setUp();
    await createOAuth2Connection(t.db, other.user.teamId, 'github');
    await form(other, `${other.page}/tavily/api-keys`, { label: 'Theirs', key: 'tvly-0123456789abcdef' });
    const theirKey = (
      await t.db.withOwner((tx) => tx.one<{ id: number }>('SELECT id FROM api_key_connections WHERE team_id = $1', [other.user.teamId]))
    ).id;
    expect((await s.session.agent.get(other.page)).status).toBe(404);
    expect((await s.session.agent.get(other.api)).status).toBe(404);
    expect((await form(s, `${other.page}/github/toggle`, { enabled: 'false' })).status).toBe(404);
    expect((await form(s, `${other.page}/sync`)).status).toBe(404);
    expect((await json(s, 'delete', `${other.api}/github`)).status).toBe(404);
    expect((await form(s, `${other.page}/api-keys/${theirKey}/delete`)).status).toBe(404);
    // Their key through my own team's URL: still not found.
    expect((await form(s, `${s.page}/api-keys/${theirKey}/delete`)).status).toBe(404);
    expect((await keysOf(other.user.teamId)).map((k) => k.label)).toEqual(['Theirs']);
  });

  it('refuses JSON API changes without the CSRF header with 403', async () => {
    const s = await setUp();
    await createOAuth2Connection(t.db, s.user.teamId, 'github');
    expect((await s.session.agent.patch(`${s.api}/github/toggle`).send({ enabled: false })).status).toBe(403);
    expect((await s.session.agent.delete(`${s.api}/github`)).status).toBe(403);
    expect((await s.session.agent.post(`${s.api}/sync`)).status).toBe(403);
    expect(await auditActions(t.db, s.user.teamId)).toEqual([]);
  });

  it('answers the JSON API with 401 in JSON when signed out', async () => {
    const s = await setUp();
    const res = await (await import('supertest')).default(t.app).get(s.api);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'not_signed_in', message: 'Sign in to continue.' });
  });

  it('answers a malformed team or key id with 400', async () => {
    const s = await setUp();
    expect((await s.session.agent.get('/app/team/abc/integrations')).status).toBe(400);
    expect((await s.session.agent.get('/api/teams/0/integrations')).status).toBe(400);
    expect((await form(s, `${s.page}/api-keys/x1/delete`)).status).toBe(400);
  });
});

describe('without Composio configured', () => {
  it('answers sync with 503 composio_not_configured (JSON) and explains it on the page (form)', async () => {
    const s = await setUp();
    const res = await json(s, 'post', `${s.api}/sync`);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'composio_not_configured', message: expect.stringContaining('set COMPOSIO_API_KEY') });
    const formRes = await form(s, `${s.page}/sync`);
    expect(formRes.status).toBe(303);
    expect(flashText((await s.session.agent.get(s.page)).text)[0]).toContain('set COMPOSIO_API_KEY');
  });
});
