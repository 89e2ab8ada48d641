import request from 'supertest';
import type { Express } from 'express';
import type { Database } from '../../server/db';
import { appThroughRelay, createUser, makeTestApp, signIn, unique, type SignedIn, type TestApp, type TestUser } from '../helpers/app';
import type { TcpProxy } from '../helpers/tcp-proxy';

/**
 * The database goes away (every connection cut, new ones refused) and comes back, on both
 * databases: the app answers 503 meanwhile and serves the very next request once it is back.
 */

let t: TestApp;
let proxy: TcpProxy;
let db: Database;
let app: Express;
let user: TestUser;
let session: SignedIn;

beforeAll(async () => {
  t = makeTestApp();
  ({ proxy, db, app } = await appThroughRelay());
  user = await createUser(t.db);
  session = await signIn(app, user);
});
afterAll(async () => {
  await proxy.close();
  await db.close();
  await t.close();
});

const page = () => `/app/team/${user.teamId}/assistants`;
const createAssistant = (name: string) => session.agent.post(page()).type('form').send({ _csrf: session.csrf, name, description: '' });
const assistantsNamed = (name: string) =>
  t.db
    .withOwner((tx) =>
      tx.one<{ n: number }>('SELECT count(*)::int AS n FROM assistants WHERE team_id = $1 AND name = $2', [user.teamId, name]),
    )
    .then((r) => r.n);

describe('while the database cannot be reached', () => {
  beforeAll(() => proxy.cut());
  afterAll(() => proxy.restore());

  it('answers pages with a 503 page that says so and when to retry', async () => {
    const res = await session.agent.get(page());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('Switchboard cannot reach its database; retrying.');
  });

  it('answers JSON clients with database_unavailable', async () => {
    const res = await session.agent.get(`/api/teams/${user.teamId}/integrations`);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ error: 'database_unavailable', message: 'Switchboard cannot reach its database; retrying.' });
  });

  it('answers a write with 503 and writes nothing', async () => {
    const name = unique('Outage');
    const res = await createAssistant(name);
    expect(res.status).toBe(503);
    await proxy.restore();
    try {
      expect(await assistantsNamed(name)).toBe(0);
    } finally {
      await proxy.cut();
    }
  });

  it('reports it on /healthz', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'unavailable', error: 'database_unavailable' });
  });
});

describe('when the database is back', () => {
  it('serves the next request without a restart, with the same session', async () => {
    await proxy.cut();
    expect((await session.agent.get(page())).status).toBe(503);
    await proxy.restore();

    expect((await request(app).get('/healthz')).status).toBe(200);
    expect((await session.agent.get(page())).status).toBe(200);
    const name = unique('After outage');
    expect((await createAssistant(name)).status).toBe(303);
    expect(await assistantsNamed(name)).toBe(1);
  });

  it('discards connections that broke while idle instead of reusing them', async () => {
    expect((await session.agent.get(page())).status).toBe(200); // the pool now holds an idle connection
    await proxy.cut();
    await proxy.restore();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await session.agent.get(page())).status);
    expect(statuses).toEqual([200, 200, 200]);
  });
});
