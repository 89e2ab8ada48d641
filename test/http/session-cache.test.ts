import { keptSessions } from '../../server/http/session';
import { setUserPassword } from '../../server/users/queries';
import request from 'supertest';
import { describeOnPostgres } from '../helpers/postgres-only';
import { hostAndPort, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import {
  cookieOf,
  createAssistant,
  createUser,
  flashText,
  makeTestApp,
  signIn,
  testDatabaseUrl,
  waitFor,
  type TestApp,
} from '../helpers/app';

/**
 * On a database no other process uses (the embedded one), a signed-in session is kept in the
 * process and loaded again only after the table owner may have written (docs/decisions/027). On a
 * PostgreSQL server, which other processes share, it is kept while the process listens for notices
 * of changed sessions, and forgotten when one names it (docs/decisions/032).
 */

let kept: TestApp;
let loaded: TestApp;
beforeAll(() => {
  kept = makeTestApp({ onlyProcess: true });
  loaded = makeTestApp({ notices: false });
});
afterAll(async () => {
  await kept.close();
  await loaded.close();
});

const sessionLoads = (t: TestApp) => t.sessionStatements.filter((sql) => sql.startsWith('SELECT sess FROM')).length;

async function pageLoads(
  t: TestApp,
  agent: Awaited<ReturnType<typeof signIn>>['agent'],
  url: string,
): Promise<{ status: number; loads: number }> {
  const before = sessionLoads(t);
  const res = await agent.get(url);
  return { status: res.status, loads: sessionLoads(t) - before };
}

describe('sessions kept in the process (embedded database)', () => {
  it('loads a signed-in session once, then serves pages without loading it again; a shared database loads it every time', async () => {
    for (const [t, expected] of [
      [kept, [1, 0, 0]],
      [loaded, [1, 1, 1]],
    ] as const) {
      const user = await createUser(t.db);
      const assistant = await createAssistant(t.db, user.teamId);
      const { agent } = await signIn(t.app, user);
      await t.db.withOwner((tx) => tx.query('SELECT 1')); // whatever sign-in kept is now stale
      const url = `/app/team/${user.teamId}/assistant/${assistant.id}/integrations`;
      const loads = [];
      for (let i = 0; i < 3; i++) {
        const page = await pageLoads(t, agent, url);
        expect(page.status).toBe(200);
        loads.push(page.loads);
      }
      expect(loads).toEqual(expected);
    }
  });

  it("ending a user's sessions (the operator's password reset) signs out a kept session at once", async () => {
    const user = await createUser(kept.db);
    const { agent } = await signIn(kept.app, user);
    const url = `/app/team/${user.teamId}/assistants`;
    expect((await agent.get(url)).status).toBe(200);
    expect((await pageLoads(kept, agent, url)).loads).toBe(0); // kept

    const ended = await kept.db.withOwner((tx) => setUserPassword(tx, user.email, 'not-a-real-hash'));
    expect(ended?.sessions).toBe(1);
    const after = await agent.get(url);
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/login');
  });

  it('signing out ends the kept session, and a second session of the same user stays signed in', async () => {
    const user = await createUser(kept.db);
    const first = await signIn(kept.app, user);
    const second = await signIn(kept.app, user);
    const url = `/app/team/${user.teamId}/assistants`;
    expect((await first.agent.get(url)).status).toBe(200);
    expect((await second.agent.get(url)).status).toBe(200);

    expect((await first.agent.post('/logout').type('form').send({ _csrf: first.csrf })).status).toBe(303);
    const signedOut = await first.agent.get(url);
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.location).toBe('/login');
    expect((await second.agent.get(url)).status).toBe(200);
  });

  it('shows a flash set by a form on the next page, once', async () => {
    const user = await createUser(kept.db);
    const { agent, csrf } = await signIn(kept.app, user);
    const base = `/app/team/${user.teamId}/assistants`;
    expect((await agent.get(base)).status).toBe(200); // the session is kept before the form changes it
    expect((await agent.post(base).type('form').send({ name: 'Kept Assistant', _csrf: csrf })).status).toBe(303);
    expect(flashText((await agent.get(base)).text)).toEqual(['Created Kept Assistant.']);
    expect(flashText((await agent.get(base)).text)).toEqual([]);
  });

  it('does not keep a load that overlapped a write: the next load asks the database again', async () => {
    const user = await createUser(kept.db);
    await signIn(kept.app, user);
    const { sid } = await kept.db.withOwner((tx) =>
      tx.one<{ sid: string }>("SELECT sid FROM session WHERE sess->>'userId' = $1", [String(user.userId)]),
    );
    const query = keptSessions(kept.db);
    const load = () => query('SELECT sess FROM "session" WHERE sid = $1 AND expire >= to_timestamp($2)', [sid, Date.now() / 1000]);

    const overlapping = load(); // sent first: it still finds the row
    await kept.db.withOwner((tx) => tx.query('DELETE FROM session WHERE sid = $1', [sid]));
    expect((await overlapping).rows).toHaveLength(1);
    expect((await load()).rows).toHaveLength(0); // not served from what the overlapping load saw
  });
});

describeOnPostgres('sessions kept on a PostgreSQL server that other instances share', () => {
  let proxy: TcpProxy;
  /** The instance that keeps sessions, on a connection the test can cut. */
  let a: TestApp;
  /** Another instance on the same database. */
  let b: TestApp;
  beforeAll(async () => {
    proxy = await startTcpProxy(hostAndPort(testDatabaseUrl()));
    a = makeTestApp({ databaseUrl: proxy.url(testDatabaseUrl()) });
    b = makeTestApp();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await proxy.close();
  });

  /**
   * Signs in on instance a and waits until a serves the page without loading the session: it keeps
   * sessions once its connection listens, a moment after its first request.
   */
  async function keptOnA(url: (user: { teamId: number }) => string) {
    const user = await createUser(a.db);
    const signedIn = await signIn(a.app, user);
    await waitFor(async () => (await pageLoads(a, signedIn.agent, url(user))).loads === 0);
    return { user, signedIn, url: url(user), cookie: cookieOf(signedIn) };
  }
  const assistants = (user: { teamId: number }) => `/app/team/${user.teamId}/assistants`;

  it('keeps a signed-in session: pages load it once', async () => {
    expect(a.db.notices).toBe(true);
    const { signedIn, url } = await keptOnA(assistants);
    for (let i = 0; i < 3; i++) expect(await pageLoads(a, signedIn.agent, url)).toEqual({ status: 200, loads: 0 });
  });

  it('signing out on another instance signs the session out here too', async () => {
    const { signedIn, url, cookie } = await keptOnA(assistants);
    const out = await request(b.app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: signedIn.csrf });
    expect(out.status).toBe(303);
    // The notice arrives a moment after the sign-out commits; until it does, the page is served.
    await waitFor(async () => (await signedIn.agent.get(url)).status === 303);
    const after = await signedIn.agent.get(url);
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/login');
  });

  it("the operator's ending of a user's sessions, from another process, signs the session out here", async () => {
    const { user, signedIn, url } = await keptOnA(assistants);
    const ended = await b.db.withOwner((tx) => setUserPassword(tx, user.email, 'not-a-real-hash'));
    expect(ended?.sessions).toBe(1);
    await waitFor(async () => (await signedIn.agent.get(url)).status === 303);
    expect((await signedIn.agent.get(url)).headers.location).toBe('/login');
  });

  it('a flash saved by another instance shows on the next page here, once', async () => {
    const { signedIn, url, cookie } = await keptOnA(assistants);
    const created = await request(b.app)
      .post(url)
      .set('Cookie', cookie)
      .type('form')
      .send({ name: 'Made Elsewhere', _csrf: signedIn.csrf });
    expect(created.status).toBe(303);
    let shown: string[] = [];
    await waitFor(async () => (shown = flashText((await signedIn.agent.get(url)).text)).length > 0);
    expect(shown).toEqual(['Created Made Elsewhere.']);
    expect(flashText((await signedIn.agent.get(url)).text)).toEqual([]);
  });

  it('while the connection that listens is down, nothing is kept: a session ended meanwhile is not served', async () => {
    const { signedIn, url, cookie } = await keptOnA(assistants);
    await proxy.cut(); // every connection of instance a, the listening one included
    const out = await request(b.app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: signedIn.csrf });
    expect(out.status).toBe(303); // its notice cannot reach a
    await proxy.restore();
    const after = await signedIn.agent.get(url);
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/login');

    // Listening again, it keeps sessions again; the operator's log says when it stopped and started.
    await keptOnA(assistants);
    const said = (msg: RegExp) => a.logs.filter((line) => msg.test(String(line.msg)));
    expect(said(/^Lost the connection that listens for session changes/)).toHaveLength(1);
    expect(said(/^Listening for session changes again/)).toHaveLength(1);
  });

  it('a burst of parallel pages on a kept session loads nothing; after a sign-out elsewhere, a burst is signed out', async () => {
    const { signedIn, url, cookie } = await keptOnA(assistants);
    const before = sessionLoads(a);
    const burst = await Promise.all(Array.from({ length: 30 }, () => request(a.app).get(url).set('Cookie', cookie)));
    expect(burst.map((res) => res.status)).toEqual(Array(30).fill(200));
    expect(sessionLoads(a) - before).toBe(0);

    expect((await request(b.app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: signedIn.csrf })).status).toBe(303);
    await waitFor(async () => (await request(a.app).get(url).set('Cookie', cookie)).status === 303);
    const after = await Promise.all(Array.from({ length: 30 }, () => request(a.app).get(url).set('Cookie', cookie)));
    expect(after.map((res) => res.headers.location)).toEqual(Array(30).fill('/login'));
  });
});
