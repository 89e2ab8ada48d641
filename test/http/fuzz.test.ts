import type { Express } from 'express';
import { createComposioGateway } from '../../server/composio/client';
import { startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { createAssistant, createUser, csrfFrom, makeTestApp, serveApp, type Served, type TestApp, type TestUser } from '../helpers/app';
import { createApiKeyConnection, createOAuth2Connection, integrationId } from '../helpers/fixtures';

/**
 * Every route the app has, requested 10,000 times with a fixed seed: signed in as an admin and as a
 * member, and signed out; with other teams' ids, missing ids, malformed escapes, NUL characters,
 * wrong types, missing, unreadable and oversized bodies. Any 5xx fails the test.
 */
const SEED = 20261123;
const REQUESTS = 10_000;

let fake: FakeComposio;
let t: TestApp;
let served: Served;
let base: string;
beforeAll(async () => {
  fake = await startFakeComposio();
  // Its own client address (behind a trusted proxy), so its failed sign-ins count against no other test.
  t = makeTestApp({
    composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 2000, maxRetries: 0 }),
    config: { TRUST_PROXY: 'loopback' },
  });
  served = await serveApp(t.app);
  base = served.base;
});
afterAll(async () => {
  await served.close();
  await t.close();
  await fake.close();
});

interface Route {
  method: string;
  path: string;
}

/** The app's routes, read from its router stack (so a new route is fuzzed without touching this file). */
function routesOf(app: Express): Route[] {
  type Layer = { rawPath?: string; route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };
  const found: Route[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          if (method !== '_all') found.push({ method: method.toUpperCase(), path: (prefix + layer.route.path).replace(/(.)\/$/, '$1') });
        }
      } else if (layer.handle.stack) {
        walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}

function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Identity {
  name: string;
  cookie: string;
  csrf: string;
}

const FUZZ_ADDRESS = '198.18.0.1';

async function identity(name: string, user: TestUser | null): Promise<Identity> {
  const page = await fetch(`${base}/login`, { headers: { 'X-Forwarded-For': FUZZ_ADDRESS } });
  let cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = csrfFrom(await page.text());
  if (!user) return { name, cookie, csrf: token };
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, 'X-Forwarded-For': FUZZ_ADDRESS },
    body: new URLSearchParams({ email: user.email, password: user.password, _csrf: token }).toString(),
  });
  expect(res.status).toBe(303);
  cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const app = await fetch(`${base}/app/team/${user.teamId}/assistants`, { headers: { Cookie: cookie } });
  return { name, cookie, csrf: csrfFrom(await app.text()) };
}

describe('fuzzing every route', () => {
  it(`answers ${REQUESTS} malformed, foreign and ordinary requests without a single 5xx`, async () => {
    const admin = await createUser(t.db);
    const member = await createUser(t.db, {
      team: (await t.db.withOwner((tx) => tx.one<{ name: string }>('SELECT name FROM teams WHERE id = $1', [admin.teamId]))).name,
      role: 'member',
    });
    const other = await createUser(t.db);
    const { composio_user_id: composioUser } = await t.db.withOwner((tx) =>
      tx.one<{ composio_user_id: string }>('SELECT composio_user_id FROM teams WHERE id = $1', [admin.teamId]),
    );
    fake.setAccounts([
      { id: `fz_${admin.teamId}_gmail`, userId: composioUser, toolkit: 'gmail', email: 'fuzz@example.test' },
      { id: `fz_${admin.teamId}_notion`, userId: composioUser, toolkit: 'notion' },
    ]);
    const own = {
      assistants: [(await createAssistant(t.db, admin.teamId)).id, (await createAssistant(t.db, admin.teamId)).id],
      keys: [await createApiKeyConnection(t.db, admin.teamId, 'tavily')],
      oauth: [await createOAuth2Connection(t.db, admin.teamId, 'github')],
    };
    const theirs = {
      assistants: [(await createAssistant(t.db, other.teamId)).id],
      keys: [await createApiKeyConnection(t.db, other.teamId, 'tavily')],
      oauth: [await createOAuth2Connection(t.db, other.teamId, 'gmail')],
    };
    const integrations = [
      await integrationId(t.db, 'gmail'),
      await integrationId(t.db, 'tavily'),
      await integrationId(t.db, 'calculator'),
      await integrationId(t.db, 'github'),
    ];

    const routes = routesOf(t.app);
    // The URL table, as the routers declare it: a route missing here would go unfuzzed.
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/login' },
        { method: 'POST', path: '/app/team/:teamId/assistant/:assistantId/integrations/sync' },
        { method: 'PATCH', path: '/api/teams/:teamId/integrations/:provider/toggle' },
      ]),
    );
    routes.push(
      { method: 'GET', path: '/static/css/app.css' },
      { method: 'GET', path: '/static/:hash/js/app.js' },
      { method: 'GET', path: '/nowhere/:teamId' },
    );

    const identities = [await identity('admin', admin), await identity('member', member), await identity('signed out', null)];
    const next = random(SEED);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    const chance = (p: number) => next() < p;

    const nasty = [
      '%E0%A4%A',
      '%',
      '%ZZ',
      '%00',
      'a%00b',
      '%C0%AF',
      '..%2F..%2Fetc',
      '0',
      '-1',
      '1e3',
      '2147483648',
      '99999999999999999999',
      'null',
      '%F0%9F%92%A9',
      'x'.repeat(300),
      '%20',
      '1.5',
      '0x10',
    ];
    const param = (name: string): string => {
      if (chance(0.3)) return pick(nasty);
      switch (name) {
        case 'teamId':
          return String(pick([admin.teamId, admin.teamId, admin.teamId, other.teamId, 2147483647]));
        case 'assistantId':
          return String(pick([...own.assistants, ...own.assistants, ...theirs.assistants, 2147483647]));
        case 'integrationId':
          return String(pick([...integrations, 999999]));
        case 'keyId':
          return String(pick([...own.keys, ...theirs.keys, 2147483647]));
        case 'provider':
          return pick(['gmail', 'notion', 'github', 'tavily', 'calculator', 'google_drive', 'nope', 'GMAIL', 'gm-ail']);
        case 'hash':
          return pick(['0123456789ab', 'zzzzzzzzzzzz', 'ffffffffffff']);
        default:
          return pick(nasty);
      }
    };
    const text = (): unknown =>
      pick<unknown>([
        'ordinary text',
        '',
        ' ',
        'a\0b',
        '\0',
        'é中文🎉',
        '<script>alert(1)</script>',
        'x'.repeat(150),
        'y'.repeat(5000),
        'api:1',
        `oauth2:${pick(own.oauth)}`,
        `oauth2:${pick(theirs.oauth)}`,
        `api:${pick(own.keys)}`,
        `api:${pick(theirs.keys)}`,
        'api:99999999999',
        'true',
        'false',
        String(pick(integrations)),
        String(pick(theirs.assistants)),
        '%E0%A4%A',
        'fuzz@example.test',
        12,
        -1,
        1.5,
        true,
        null,
        [],
        ['a', 'b'],
        { nested: { deeper: ['\0'] } },
        { toString: 'x' },
        2147483648,
      ]);
    const fields = [
      'name',
      'description',
      'email',
      'password',
      'label',
      'key',
      'enabled',
      'composio_user_id',
      'integration_ids',
      'connection',
      'api_connection_id',
      'oauth2_connection_id',
      `connection_${pick(integrations)}`,
      'q',
      'confirm',
      'return_to',
      'prompt_id',
      'filter',
      'status',
      'auth',
      'category',
      '_csrf',
      '__proto__',
      'constructor',
    ];

    const build = () => {
      const route = pick(routes);
      const who = pick(identities);
      const url =
        route.path.replace(/:(\w+)/g, (_, name: string) => param(name)) +
        (chance(0.15) ? `?q=${pick(['gm', '%00', '%E0%A4%A', 'x'.repeat(200), 'ok&q=twice'])}` : '') +
        // The list filters that pages and the changes made from them carry (decision 021).
        (chance(0.15)
          ? `${chance(0.5) ? '?' : '&'}${pick(['status', 'auth', 'category', 'filter'])}=${pick(['added', 'needs_attention', 'oauth2', 'Built-in', 'q%3Dgm%26status%3Dadded', '%E0%A4%A', 'x'.repeat(300), '__proto__'])}`
          : '');
      const method = chance(0.05) ? pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']) : route.method;
      // Mostly uncompressed: compressing and inflating every answer would double the run's CPU time.
      const headers: Record<string, string> = {
        Cookie: who.cookie,
        'X-Forwarded-For': FUZZ_ADDRESS,
        'Accept-Encoding': chance(0.05) ? 'gzip, br' : 'identity',
      };
      if (chance(0.3)) headers.Accept = 'application/json';
      if (chance(0.15)) headers['HX-Request'] = 'true';
      if (chance(0.05)) headers['HX-Target'] = pick(['picker-body', 'connect-body']);
      if (route.path === '/logout' && who.name !== 'signed out') headers['X-CSRF-Token'] = 'not-the-token';
      else if (chance(0.9)) headers['X-CSRF-Token'] = who.csrf;
      let body: string | undefined;
      if (method !== 'GET' && method !== 'HEAD') {
        const values: Record<string, unknown> = {};
        for (let i = Math.floor(next() * 5); i > 0; i--) values[pick(fields)] = text();
        const kind = chance(0.03)
          ? pick(['huge', 'many-fields'] as const)
          : pick(['form', 'form', 'form', 'json', 'json', 'json', 'plain', 'multipart', 'empty', 'broken-json'] as const);
        if (kind === 'form') {
          headers['Content-Type'] = 'application/x-www-form-urlencoded';
          body = Object.entries(values)
            .map(
              ([k, v]) =>
                `${encodeURIComponent(k)}=${chance(0.1) ? '%E0%A4%A' : encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`,
            )
            .join('&');
        } else if (kind === 'json') {
          headers['Content-Type'] = pick(['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1']);
          body = JSON.stringify(values);
        } else if (kind === 'plain') {
          headers['Content-Type'] = 'text/plain';
          body = 'name=plain';
        } else if (kind === 'multipart') {
          headers['Content-Type'] = 'multipart/form-data; boundary=fuzz';
          body = '--fuzz\r\nContent-Disposition: form-data; name="name"\r\n\r\nmulti\r\n--fuzz--\r\n';
        } else if (kind === 'broken-json') {
          headers['Content-Type'] = 'application/json';
          body = pick(['{"name":', '[', '"\\u0000"', '{"a":1}}', 'nul\0l']);
        } else if (kind === 'huge') {
          headers['Content-Type'] = 'application/x-www-form-urlencoded';
          body = `name=${'h'.repeat(110_000)}`;
        } else if (kind === 'many-fields') {
          headers['Content-Type'] = 'application/x-www-form-urlencoded';
          body = Array.from({ length: 2100 }, (_, i) => `f${i}=1`).join('&');
        }
      }
      return { method, url, headers, body, who: who.name };
    };

    const plan = Array.from({ length: REQUESTS }, build);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let index = 0;
    const worker = async () => {
      while (index < plan.length) {
        const r = plan[index++]!;
        const res = await fetch(base + r.url, { method: r.method, headers: r.headers, body: r.body, redirect: 'manual' });
        const body = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500 && failures.length < 20)
          failures.push(
            `${res.status} ${r.method} ${r.url.slice(0, 120)} as ${r.who} (${r.headers['Content-Type'] ?? 'no body'}): ${body.slice(0, 200)}`,
          );
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));

    expect(failures).toEqual([]);
    // The fuzz reached the handlers, not only the edge: successes, redirects and each kind of refusal.
    for (const status of [200, 303, 400, 403, 404, 413, 415, 422])
      expect([status, statuses.get(status) ?? 0]).toEqual([status, expect.any(Number)]);
    for (const status of [200, 303, 400, 403, 404, 413, 415]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
  }, 300_000); // about 40 s on an idle 2-core machine; the bound is for busy CI hosts, not a timing assertion
});
