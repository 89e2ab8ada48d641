import request from 'supertest';
import { createComposioGateway } from '../../server/composio/client';
import { startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { createAssistant, createUser, makeTestApp, signIn, type SignedIn, type TestApp, type TestUser } from '../helpers/app';
import { integrationId } from '../helpers/fixtures';

let fake: FakeComposio;
let t: TestApp;
let user: TestUser;
let session: SignedIn;
let assistantId: number;
beforeAll(async () => {
  fake = await startFakeComposio();
  t = makeTestApp({ composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 2000 }) });
  user = await createUser(t.db);
  assistantId = (await createAssistant(t.db, user.teamId, 'Original name')).id;
  session = await signIn(t.app, user);
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

const assistants = () => `/app/team/${user.teamId}/assistants`;
const storedAssistants = () =>
  t.db.withOwner((tx) =>
    tx.query<{ name: string; description: string }>('SELECT name, description FROM assistants WHERE team_id = $1 ORDER BY id', [
      user.teamId,
    ]),
  );

describe('malformed % escapes in the path', () => {
  const paths = () => [
    '/app/team/%E0%A4%A/assistants',
    `/app/team/${user.teamId}/assistants/%/edit`,
    `/app/team/${user.teamId}/assistant/%ZZ/integrations`,
    `/app/team/${user.teamId}/integrations/%C0%AF/connect`,
    `/api/teams/%FF/integrations`,
  ];

  it('answer 400 in words, signed in and signed out, in HTML and JSON', async () => {
    for (const path of paths()) {
      const html = await session.agent.get(path);
      expect([path, html.status]).toEqual([path, 400]);
      expect(html.text).toContain('malformed % escape');
      const json = await session.agent.get(path).set('Accept', 'application/json');
      expect([path, json.status, json.body.error]).toEqual([path, 400, 'bad_request']);
      // Signed out: the same 400, or the way to sign in when the escape is past the part that needs it.
      const anonymous = await request(t.app).get(path);
      expect([400, '/login']).toContainEqual(anonymous.status === 303 ? anonymous.headers.location : anonymous.status);
      expect((await request(t.app).get(path).set('Accept', 'application/json')).status).toBeLessThan(500);
      const post = await session.agent.post(path).set('X-CSRF-Token', session.csrf).type('form').send({ name: 'x' });
      expect([path, post.status]).toEqual([path, 400]);
    }
    // Static files: no such file.
    expect((await request(t.app).get('/static/%E0%A4%A.css')).status).toBe(404);
    expect((await request(t.app).get('/static/0123456789ab/%E0%A4%A.css')).status).toBe(404);
  });
});

describe('NUL characters', () => {
  it('are refused in every text field with a 400 naming the field, and change nothing', async () => {
    const before = await storedAssistants();
    const cases: [string, Record<string, string>][] = [
      [assistants(), { name: 'Bad\0name' }],
      [assistants(), { name: 'Fine', description: 'a\0b' }],
      [`${assistants()}/${assistantId}/edit`, { name: 'x\0' }],
      [`/app/team/${user.teamId}/integrations/tavily/api-keys`, { label: 'L\0', key: 'abcdefghijk' }],
      [`/app/team/${user.teamId}/integrations/tavily/api-keys`, { label: 'Label', key: 'abc\0defghijk' }],
      [`/app/team/${user.teamId}/integrations/gmail/toggle`, { enabled: 'true\0' }],
    ];
    for (const [url, fields] of cases) {
      const field = Object.keys(fields).find((k) => fields[k]!.includes('\0'))!;
      const form = await session.agent
        .post(url)
        .type('form')
        .send({ ...fields, _csrf: session.csrf });
      expect([url, form.status]).toEqual([url, 400]);
      expect(form.text).toContain(`&#34;${field}&#34; contains a NUL character`);
      const json = await session.agent.post(url).set('X-CSRF-Token', session.csrf).set('Accept', 'application/json').send(fields);
      expect([url, json.status, json.body.message]).toEqual([
        url,
        400,
        `"${field}" contains a NUL character (\\0), which is not allowed. Remove it and try again.`,
      ]);
    }
    const login = await request(t.app).post('/login').type('form').send({ email: 'a\0@example.com', password: 'x' });
    expect(login.status).toBe(400);
    const query = await session.agent.get(`/app/team/${user.teamId}/assistant/${assistantId}/integrations?q=%00`);
    expect(query.status).toBe(400);
    expect(await storedAssistants()).toEqual(before);
  });
});

describe('bodies the app cannot read', () => {
  it('text/plain, multipart and unknown types are a 415 that names what to send', async () => {
    for (const url of [assistants(), `${assistants()}/${assistantId}/edit`]) {
      const plain = await session.agent.post(url).set('X-CSRF-Token', session.csrf).set('Content-Type', 'text/plain').send('name=Plain');
      expect([url, plain.status]).toEqual([url, 415]);
      expect(plain.text).toContain(
        'Switchboard reads forms (application/x-www-form-urlencoded) and JSON (application/json), not text/plain.',
      );
      const multipart = await session.agent.post(url).set('X-CSRF-Token', session.csrf).field('name', 'Multipart');
      expect([url, multipart.status]).toEqual([url, 415]);
    }
    expect((await storedAssistants()).map((p) => p.name)).not.toContain('Plain');
  });

  it('an empty body on create or rename is a 422 form (400 in JSON) asking for the name', async () => {
    for (const url of [assistants(), `${assistants()}/${assistantId}/edit`]) {
      const empty = await session.agent.post(url).set('X-CSRF-Token', session.csrf);
      expect([url, empty.status]).toEqual([url, 422]);
      expect(empty.text).toContain('Give the assistant a name.');
      const json = await session.agent
        .post(url)
        .set('X-CSRF-Token', session.csrf)
        .set('Accept', 'application/json')
        .set('Content-Type', 'application/json');
      expect([url, json.status, json.body]).toEqual([
        url,
        400,
        { error: 'bad_request', message: 'Give the assistant a name.', fields: { name: 'Give the assistant a name.' } },
      ]);
    }
  });

  it('JSON that is not a form (nested values, broken syntax) is a 4xx, never a 500', async () => {
    const nested = await session.agent
      .post(assistants())
      .set('X-CSRF-Token', session.csrf)
      .set('Content-Type', 'application/json')
      .send('{"name":{"toString":"x"},"description":[1]}');
    expect(nested.status).toBe(422); // the form again, asking for a name
    const broken = await session.agent
      .post(assistants())
      .set('X-CSRF-Token', session.csrf)
      .set('Content-Type', 'application/json')
      .set('Accept', 'application/json')
      .send('{"name":');
    expect([broken.status, broken.body.message]).toEqual([400, 'The request body is not valid JSON.']);
    const charset = await session.agent
      .post(assistants())
      .set('X-CSRF-Token', session.csrf)
      .set('Content-Type', 'application/json; charset=koi8-r')
      .send('{}');
    expect(charset.status).toBe(415);
  });

  it('a body over 100 kB is a 413 in words, and so is a form with too many fields', async () => {
    const big = await session.agent
      .post(assistants())
      .set('X-CSRF-Token', session.csrf)
      .type('form')
      .send({ name: 'x', description: 'y'.repeat(200_000) });
    expect(big.status).toBe(413);
    expect(big.text).toContain('The request is too large: send at most 100 kB.');
    const many = await session.agent
      .post(assistants())
      .set('X-CSRF-Token', session.csrf)
      .type('form')
      .send(Array.from({ length: 3000 }, (_, i) => `f${i}=1`).join('&'));
    expect(many.status).toBe(413);
    expect(many.text).toContain('The form has too many fields.');
  });

  it('values over their limits are a 400 naming the limit', async () => {
    const res = await session.agent
      .post(assistants())
      .set('X-CSRF-Token', session.csrf)
      .set('Accept', 'application/json')
      .send({ name: 'n'.repeat(101) });
    expect([res.status, res.body.message]).toEqual([400, 'Keep the name under 100 characters.']);
  });
});

describe('sync from an assistant page', () => {
  it('for another team’s or a missing assistant is a 404 and syncs nothing', async () => {
    const other = await createUser(t.db);
    const theirs = await createAssistant(t.db, other.teamId);
    fake.reset();
    for (const [teamId, candidate] of [
      [user.teamId, theirs.id],
      [user.teamId, 2147483647],
      [other.teamId, theirs.id],
      [other.teamId, assistantId],
    ]) {
      const url = `/app/team/${teamId}/assistant/${candidate}/integrations/sync`;
      const form = await session.agent.post(url).type('form').send({ _csrf: session.csrf });
      expect([url, form.status]).toEqual([url, 404]);
      const json = await session.agent.post(url).set('X-CSRF-Token', session.csrf).set('Accept', 'application/json');
      expect([url, json.status]).toEqual([url, 404]);
    }
    expect(fake.requests).toEqual([]);
    const last = await t.db.withOwner((tx) =>
      tx.one<{ last_synced_at: Date | null }>('SELECT last_synced_at FROM teams WHERE id = $1', [user.teamId]),
    );
    expect(last.last_synced_at).toBeNull();
    // Its own assistant still syncs.
    const own = await session.agent
      .post(`/app/team/${user.teamId}/assistant/${assistantId}/integrations/sync`)
      .type('form')
      .send({ _csrf: session.csrf });
    expect([own.status, own.headers.location]).toEqual([303, `/app/team/${user.teamId}/assistant/${assistantId}/integrations`]);
    expect(fake.requests.length).toBeGreaterThan(0);
  });
});

describe('the legacy bulk form', () => {
  it('refuses another team’s connection ids without changing anything', async () => {
    const other = await createUser(t.db);
    const gmail = await integrationId(t.db, 'gmail');
    const res = await session.agent
      .post(`/app/team/${user.teamId}/assistant/${assistantId}/integrations`)
      .set('X-CSRF-Token', session.csrf)
      .set('Accept', 'application/json')
      .send({ integration_ids: [gmail], [`connection_${gmail}`]: `oauth2:${other.teamId}` });
    expect(res.status).toBe(422);
  });
});
