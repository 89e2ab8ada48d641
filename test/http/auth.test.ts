import request from 'supertest';
import { createApp } from '../../server/app';
import { MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS } from '../../server/auth/service';
import { createDatabase } from '../../server/db';
import { createLogger } from '../../server/logger';
import { createUser, csrfFrom, flashText, makeTestApp, signIn, testConfig, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

async function loginForm(agent: ReturnType<typeof request.agent>) {
  return csrfFrom((await agent.get('/login')).text);
}

describe('sign-in', () => {
  it('signs in, regenerates the session, and lands on the first team’s assistants page', async () => {
    const user = await createUser(t.db);
    const agent = request.agent(t.app);
    const before = await agent.get('/login');
    const cookieBefore = before.headers['set-cookie']?.[0]?.split(';')[0];
    const res = await agent
      .post('/login')
      .type('form')
      .send({ email: user.email.toUpperCase(), password: user.password, _csrf: csrfFrom(before.text) });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app');
    const cookieAfter = res.headers['set-cookie']?.[0];
    expect(cookieAfter).toMatch(/HttpOnly/);
    expect(cookieAfter).toMatch(/SameSite=Lax/);
    expect(cookieAfter?.split(';')[0]).not.toBe(cookieBefore);
    const app = await agent.get('/app');
    expect(app.status).toBe(303);
    expect(app.headers.location).toBe(`/app/team/${user.teamId}/assistants`);
  });

  it('in production, marks the cookie Secure over HTTPS behind a trusted proxy, and still signs in over plain HTTP', async () => {
    const config = testConfig({ NODE_ENV: 'production', TRUST_PROXY: 'loopback' });
    const app = createApp({ config, db: t.db, logger: createLogger('silent'), composio: null });
    const user = await createUser(t.db);
    for (const [proto, secure] of [
      ['https', true],
      ['http', false],
    ] as const) {
      // By hand: supertest's cookie jar would not send a Secure cookie over its plain connection.
      const page = await request(app).get('/login').set('X-Forwarded-Proto', proto);
      const sessionCookie = page.headers['set-cookie']![0]!.split(';')[0]!;
      const res = await request(app)
        .post('/login')
        .set('X-Forwarded-Proto', proto)
        .set('Cookie', sessionCookie)
        .type('form')
        .send({ email: user.email, password: user.password, _csrf: csrfFrom(page.text) });
      expect(res.status).toBe(303);
      const cookie = res.headers['set-cookie']?.[0] ?? '';
      expect(cookie).toMatch(/HttpOnly/);
      expect(/;\s*Secure/i.test(cookie)).toBe(secure);
    }
  });

  it('refuses a wrong password with a message and no session', async () => {
    const user = await createUser(t.db);
    const agent = request.agent(t.app);
    const token = await loginForm(agent);
    const res = await agent.post('/login').type('form').send({ email: user.email, password: 'wrong', _csrf: token });
    expect(res.status).toBe(401);
    expect(res.text).toContain('That email and password do not match any user.');
    expect((await agent.get('/app')).headers.location).toBe('/login');
  });

  it('answers an empty form with 422 in words', async () => {
    const agent = request.agent(t.app);
    const token = await loginForm(agent);
    const res = await agent.post('/login').type('form').send({ email: '', password: '', _csrf: token });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Enter your email address.');
  });

  it('refuses further attempts for an email after repeated failures, even with the right password', async () => {
    const user = await createUser(t.db);
    const agent = request.agent(t.app);
    const token = await loginForm(agent);
    for (let i = 0; i < MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS; i++) {
      const res = await agent
        .post('/login')
        .type('form')
        .send({ email: user.email, password: `nope-${i}`, _csrf: token });
      expect(res.status).toBe(401);
    }
    const locked = await agent.post('/login').type('form').send({ email: user.email, password: user.password, _csrf: token });
    expect(locked.status).toBe(429);
    expect(locked.text).toMatch(/Too many sign-in attempts\. Try again in \d+ minutes?\./);
  });

  it('signs out and forgets the session', async () => {
    const user = await createUser(t.db);
    const { agent, csrf } = await signIn(t.app, user);
    const res = await agent.post('/logout').type('form').send({ _csrf: csrf });
    expect(res.status).toBe(303);
    const login = await agent.get('/login');
    expect(flashText(login.text)).toEqual(['You have signed out.']);
    expect((await agent.get('/app')).headers.location).toBe('/login');
  });

  it('never logs the password', async () => {
    const user = await createUser(t.db);
    await signIn(t.app, user);
    expect(JSON.stringify(t.logs)).not.toContain(user.password);
  });
});

describe('CSRF', () => {
  it('refuses a change without a valid token with 403 and changes nothing', async () => {
    const user = await createUser(t.db);
    const { agent } = await signIn(t.app, user);
    const res = await agent.post(`/app/team/${user.teamId}/assistants`).type('form').send({ name: 'Sneaky', _csrf: 'forged' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('Reload the page and try again.');
    const missing = await agent.post(`/app/team/${user.teamId}/assistants`).type('form').send({ name: 'Sneaky' });
    expect(missing.status).toBe(403);
    const rows = await t.db.withOwner((tx) => tx.query('SELECT 1 FROM assistants WHERE team_id = $1', [user.teamId]));
    expect(rows).toHaveLength(0);
  });

  it('refuses sign-in without a token', async () => {
    const user = await createUser(t.db);
    const res = await request(t.app).post('/login').type('form').send({ email: user.email, password: user.password });
    expect(res.status).toBe(403);
  });
});

describe('shell', () => {
  it('answers /healthz when the database answers', async () => {
    const res = await request(t.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('sends a strict Content-Security-Policy without inline scripts or styles', async () => {
    const res = await request(t.app).get('/login');
    const csp = res.headers['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\sstyle="/);
  });

  it('answers /healthz with 503 when the database does not answer', async () => {
    const down = createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/none', description: 'down' });
    try {
      const res = await request(createApp({ config: testConfig(), db: down, logger: createLogger('silent'), composio: null })).get(
        '/healthz',
      );
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        status: 'unavailable',
        error: 'database_unavailable',
        message: 'Switchboard cannot reach its database; retrying.',
      });
    } finally {
      await down.close();
    }
  });

  it('lets a user in several teams switch between them', async () => {
    const user = await createUser(t.db, { team: 'Alpha switch team' + Math.random() });
    const second = await createUser(t.db, { email: user.email, team: 'Beta switch team' + Math.random(), role: 'member' });
    const { agent } = await signIn(t.app, user);
    const first = await agent.get(`/app/team/${user.teamId}/assistants`);
    expect(first.text).toContain(`href="/app/team/${second.teamId}/assistants"`);
    const other = await agent.get(`/app/team/${second.teamId}/assistants`);
    expect(other.status).toBe(200);
    expect(other.text).toMatch(/<summary><span class="visually-hidden">Team: <\/span>Beta switch team/);
  });

  it('serves htmx from node_modules', async () => {
    const res = await request(t.app).get('/static/htmx/htmx.min.js');
    expect(res.status).toBe(200);
    expect(res.text).toContain('htmx');
  });

  it('answers unknown pages with an HTML 404, or JSON when asked', async () => {
    const html = await request(t.app).get('/nowhere');
    expect(html.status).toBe(404);
    expect(html.text).toContain('Not found');
    const json = await request(t.app).get('/nowhere').set('Accept', 'application/json');
    expect(json.status).toBe(404);
    expect(json.body.error).toBe('not_found');
  });

  it('sends signed-out visitors of app pages to sign-in', async () => {
    const res = await request(t.app).get('/app/team/1/assistants');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login');
  });
});
