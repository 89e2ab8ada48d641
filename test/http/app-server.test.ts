import http from 'node:http';
import { createUser, makeTestApp, serveApp, signIn, type Served, type TestApp } from '../helpers/app';

let t: TestApp;
let served: Served;
/** Each request's and response's prototype as Node made them, before the app saw them. */
const seen: { path: string; arrived: object[]; isNodeRequest: boolean; isNodeResponse: boolean }[] = [];

beforeAll(async () => {
  t = makeTestApp();
  served = await serveApp(t.app);
  served.server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({
      path: req.url ?? '',
      arrived: [Object.getPrototypeOf(req) as object, Object.getPrototypeOf(res) as object],
      isNodeRequest: req instanceof http.IncomingMessage,
      isNodeResponse: res instanceof http.ServerResponse,
    });
  });
});
afterAll(async () => {
  await served.close();
  await t.close();
});

describe('the app’s HTTP server', () => {
  it('makes each request and response with the app’s own prototypes, so Express has nothing to change', async () => {
    seen.length = 0;
    expect((await fetch(`${served.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${served.base}/no-such-page`)).status).toBe(404);

    expect(seen.map((s) => s.path)).toEqual(['/healthz', '/no-such-page']);
    for (const entry of seen) {
      expect(entry.arrived[0]).toBe(t.app.request);
      expect(entry.arrived[1]).toBe(t.app.response);
      expect(entry.isNodeRequest).toBe(true);
      expect(entry.isNodeResponse).toBe(true);
    }
  });

  it('serves a person signing in and their pages as before: sessions, CSRF, templates, the request log', async () => {
    const user = await createUser(t.db);
    const session = await signIn(served.server, user);
    const page = await session.agent.get(`/app/team/${user.teamId}/assistants`);
    expect(page.status).toBe(200);
    expect(page.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(page.text).toContain('Assistants');
    expect(seen.map((s) => s.path)).toContain(`/app/team/${user.teamId}/assistants`);
    expect(t.logs).toEqual(
      expect.arrayContaining([expect.objectContaining({ msg: 'request', path: `/app/team/${user.teamId}/assistants`, status: 200 })]),
    );
  });
});
