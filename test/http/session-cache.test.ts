import { keptSessions } from '../../server/http/session';
import { setUserPassword } from '../../server/users/queries';
import { createAssistant, createUser, flashText, makeTestApp, signIn, type TestApp } from '../helpers/app';

/**
 * On a database no other process uses (the embedded one), a signed-in session is kept in the
 * process and loaded again only after the table owner may have written (docs/decisions/027).
 */

let kept: TestApp;
let loaded: TestApp;
beforeAll(() => {
  kept = makeTestApp({ onlyProcess: true });
  loaded = makeTestApp();
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
