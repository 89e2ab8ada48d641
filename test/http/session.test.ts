import request from 'supertest';
import { createUser, csrfFrom, flashText, makeTestApp, signIn, type TestApp } from '../helpers/app';

let t: TestApp;
let loading: TestApp;
beforeAll(() => {
  t = makeTestApp();
  loading = makeTestApp({ notices: false });
});
afterAll(async () => {
  await t.close();
  await loading.close();
});

/** Session rows of one user, or with one id (other test files sign in at the same time). */
const rowsOfUser = (userId: number) =>
  t.db.withOwner((tx) => tx.query(`SELECT sid FROM session WHERE sess->>'userId' = $1`, [String(userId)]));
const rowWithId = (sid: string) => t.db.withOwner((tx) => tx.query('SELECT sess FROM session WHERE sid = $1', [sid]));

/** The session id in a Set-Cookie header (signed: s:<id>.<signature>). */
function sessionIdOf(setCookie: string[] | string | undefined): string {
  const cookie = [setCookie ?? []].flat().find((c) => c.startsWith('switchboard.sid='))!;
  return /^switchboard\.sid=s%3A([^.]+)\./.exec(cookie)![1]!;
}

/** Session-store statements sent while serving one request. */
async function storeStatementsFor(app: TestApp, run: () => Promise<unknown>): Promise<string[]> {
  const before = app.sessionStatements.length;
  await run();
  return app.sessionStatements.slice(before);
}

describe('anonymous visitors', () => {
  it('200 visits of the sign-in page store no session row and send no session cookie', async () => {
    const statements = await storeStatementsFor(t, async () => {
      for (let i = 0; i < 200; i++) {
        const res = await request(t.app).get('/login').expect(200);
        expect([res.headers['set-cookie'] ?? []].flat().join(';')).not.toContain('switchboard.sid');
      }
    });
    expect(statements).toEqual([]);
  });

  it('a wrong sign-in stores no session row either', async () => {
    const user = await createUser(t.db);
    const agent = request.agent(t.app);
    const token = csrfFrom((await agent.get('/login')).text);
    const statements = await storeStatementsFor(t, () =>
      agent.post('/login').type('form').send({ email: user.email, password: 'wrong password', _csrf: token }).expect(401),
    );
    expect(statements).toEqual([]);
  });

  it('the sign-in form is protected by a signed cookie: a token without its cookie, or for another cookie, is refused', async () => {
    const user = await createUser(t.db);
    const first = request.agent(t.app);
    const firstToken = csrfFrom((await first.get('/login')).text);
    const second = request.agent(t.app);
    await second.get('/login');
    // The token of another visitor's cookie, no cookie at all, and a made-up token.
    await second.post('/login').type('form').send({ email: user.email, password: user.password, _csrf: firstToken }).expect(403);
    await request(t.app).post('/login').type('form').send({ email: user.email, password: user.password, _csrf: firstToken }).expect(403);
    await first
      .post('/login')
      .type('form')
      .send({ email: user.email, password: user.password, _csrf: 'f'.repeat(32) })
      .expect(403);
    await first.post('/login').type('form').send({ email: user.email, password: user.password, _csrf: firstToken }).expect(303);
  });

  it('signing out deletes the session row; the sign-in page shows the flash once and keeps no row', async () => {
    const user = await createUser(t.db);
    const { agent, csrf } = await signIn(t.app, user);
    expect(await rowsOfUser(user.userId)).toHaveLength(1);
    const out = await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(303);
    expect(await rowsOfUser(user.userId)).toHaveLength(0);
    const flashOnly = sessionIdOf(out.headers['set-cookie']);
    expect(await rowWithId(flashOnly)).toHaveLength(1);
    const login = await agent.get('/login');
    expect(flashText(login.text)).toEqual(['You have signed out.']);
    expect(await rowWithId(flashOnly)).toHaveLength(0);
    expect(flashText((await agent.get('/login')).text)).toEqual([]);
  });

  it('expired sessions are pruned', async () => {
    await t.db.withOwner((tx) =>
      tx.query(`INSERT INTO session (sid, sess, expire) VALUES ('expired-test-session', '{"cookie":{}}', now() - interval '1 minute')`),
    );
    const store = t.app.get('session store') as { pruneSessions(fn: (error?: Error) => void): void };
    await new Promise<void>((resolve, reject) => store.pruneSessions((error) => (error ? reject(error) : resolve())));
    const left = await t.db.withOwner((tx) => tx.query(`SELECT 1 FROM session WHERE sid = 'expired-test-session'`));
    expect(left).toHaveLength(0);
  });
});

describe('signed-in pages', () => {
  it('cost one session-store statement (a read) where sessions are not kept; the row is written at most once a minute', async () => {
    // Kept sessions (docs/decisions/027 and 032) send none; test/http/session-cache.test.ts covers them.
    const t = loading;
    const user = await createUser(t.db);
    const { agent } = await signIn(t.app, user);
    const url = `/app/team/${user.teamId}/assistants`;
    for (let i = 0; i < 5; i++) {
      const statements = await storeStatementsFor(t, () => agent.get(url).expect(200));
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatch(/^SELECT sess FROM/);
    }
    // A minute later (the stored touch moved back), the next request writes the row once.
    await t.db.withOwner((tx) =>
      tx.query(
        `UPDATE session SET sess = jsonb_set(sess::jsonb, '{touchedAt}', to_jsonb((extract(epoch FROM now()) * 1000 - 61000)::bigint))::json WHERE sess->>'userId' = $1`,
        [String(user.userId)],
      ),
    );
    const touched = await storeStatementsFor(t, () => agent.get(url).expect(200));
    expect(touched).toHaveLength(2);
    expect(touched[1]).toMatch(/^INSERT INTO .*session/);
    expect(await storeStatementsFor(t, () => agent.get(url).expect(200))).toHaveLength(1);
  });

  it('use one short CSRF token on the whole page', async () => {
    const user = await createUser(t.db);
    const { agent, csrf } = await signIn(t.app, user);
    expect(csrf).toMatch(/^[0-9a-f]{32}$/);
    const page = await agent.get(`/app/team/${user.teamId}/assistants`);
    const tokens = new Set([...page.text.matchAll(/name="_csrf" value="([^"]*)"/g)].map((m) => m[1]));
    expect(tokens).toEqual(new Set([csrf]));
    const login = await request(t.app).get('/login');
    expect(csrfFrom(login.text)).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('are not kept by the browser', async () => {
    const user = await createUser(t.db);
    const { agent } = await signIn(t.app, user);
    for (const url of [
      `/app/team/${user.teamId}/assistants`,
      `/app/team/${user.teamId}/integrations`,
      `/api/teams/${user.teamId}/integrations`,
      '/login',
    ]) {
      const res = await agent.get(url);
      expect([url, res.headers['cache-control']]).toEqual([url, 'no-store']);
    }
  });
});
