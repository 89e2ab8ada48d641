import { cookieOf, createAssistant, createUser, makeTestApp, serveApp, signIn, type Served, type TestApp } from '../helpers/app';
import { createApiKeyConnection, createOAuth2Connection, integrationId, assistantIntegrations } from '../helpers/fixtures';

let t: TestApp;
let served: Served;
let base: string;
beforeAll(async () => {
  t = makeTestApp();
  served = await serveApp(t.app);
  base = served.base;
});
afterAll(async () => {
  await served.close();
  await t.close();
});

/** A small deterministic generator (mulberry32), so every run sends the same mix. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe('concurrent writers on one assistant', () => {
  it('250 concurrent bulk, add, remove and switch requests: no 5xx, and the audit trail matches every change reported', async () => {
    const user = await createUser(t.db);
    const assistant = await createAssistant(t.db, user.teamId);
    const ids = {
      gmail: await integrationId(t.db, 'gmail'),
      tavily: await integrationId(t.db, 'tavily'),
      github: await integrationId(t.db, 'github'),
      calculator: await integrationId(t.db, 'calculator'),
      web: await integrationId(t.db, 'web_browser'),
    };
    const gmail = [await createOAuth2Connection(t.db, user.teamId, 'gmail'), await createOAuth2Connection(t.db, user.teamId, 'gmail')];
    const tavily = [
      await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Key A'),
      await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Key B'),
    ];
    const github = [
      await createApiKeyConnection(t.db, user.teamId, 'github', 'GitHub token'),
      await createOAuth2Connection(t.db, user.teamId, 'github'),
    ];
    const choices: Record<number, string[]> = {
      [ids.gmail]: gmail.map((id) => `oauth2:${id}`),
      [ids.tavily]: tavily.map((id) => `api:${id}`),
      [ids.github]: [`api:${github[0]}`, `oauth2:${github[1]}`],
      [ids.calculator]: [''],
      [ids.web]: [''],
    };
    const all = Object.values(ids);
    const signedIn = await signIn(t.app, user);
    const { csrf } = signedIn;
    const cookie = cookieOf(signedIn);
    const page = `/app/team/${user.teamId}/assistant/${assistant.id}/integrations`;
    const next = random(250);
    const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;

    const requests = Array.from({ length: 250 }, () => {
      const kind = pick(['bulk', 'add', 'remove', 'switch'] as const);
      if (kind === 'bulk') {
        const form = new URLSearchParams();
        for (const id of all.filter(() => next() < 0.5)) {
          form.append('integration_ids', String(id));
          if (choices[id]![0]) form.append(`connection_${id}`, pick(choices[id]!));
        }
        return { kind, url: page, body: form };
      }
      const id = pick(all);
      if (kind === 'remove') return { kind, url: `${page}/remove/${id}`, body: new URLSearchParams() };
      const connection = pick(choices[id]!);
      return { kind, url: `${page}/add/${id}`, body: new URLSearchParams(connection ? { connection } : {}) };
    });

    const results = await Promise.all(
      requests.map(async (r) => {
        const res = await fetch(base + r.url, {
          method: 'POST',
          headers: {
            Cookie: cookie,
            'X-CSRF-Token': csrf,
            Accept: 'application/json',
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body: r.body.toString(),
        });
        return { ...r, status: res.status, json: (await res.json()) as Record<string, unknown> };
      }),
    );

    expect(results.filter((r) => r.status >= 500).map((r) => [r.kind, r.status, r.json])).toEqual([]);
    expect(results.filter((r) => r.status !== 200).map((r) => [r.kind, r.status, r.json])).toEqual([]);

    // Every change a response reported is in the audit trail exactly once, and nothing else is.
    const reported = { single: 0, bulk: 0 };
    for (const r of results) {
      if (r.kind === 'bulk') {
        const { added, removed, switched } = r.json as { added: string[]; removed: string[]; switched: string[] };
        if (added.length + removed.length + switched.length > 0) reported.bulk++;
      } else if (r.kind === 'remove') {
        if (r.json.removed) reported.single++;
      } else if (r.json.change !== 'unchanged') reported.single++;
    }
    const audit = await t.db.withOwner((tx) =>
      tx.query<{ action: string; n: number }>(`SELECT action, count(*)::int AS n FROM audit_events WHERE team_id = $1 GROUP BY action`, [
        user.teamId,
      ]),
    );
    const count = (actions: string[]) => audit.filter((a) => actions.includes(a.action)).reduce((sum, a) => sum + a.n, 0);
    expect(count(['assistant.integrations_replaced'])).toBe(reported.bulk);
    expect(count(['assistant.integration_added', 'assistant.integration_switched', 'assistant.integration_removed'])).toBe(reported.single);

    // The rows: at most one per integration, each with a connection this integration may use.
    const rows = await assistantIntegrations(t.db, assistant.id);
    expect(new Set(rows.map((r) => r.integration_id)).size).toBe(rows.length);
    for (const row of rows) {
      const used = row.api_connection_id
        ? `api:${row.api_connection_id}`
        : row.oauth2_connection_id
          ? `oauth2:${row.oauth2_connection_id}`
          : '';
      expect(choices[row.integration_id]).toContain(used);
    }
  });
});
