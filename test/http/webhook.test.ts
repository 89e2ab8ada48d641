import request from 'supertest';
import { createComposioGateway } from '../../server/composio/client';
import { expiredEvent, signWebhook, startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { createUser, makeTestApp, signIn, type TestApp } from '../helpers/app';
import { createOAuth2Connection } from '../helpers/fixtures';

const SECRET = 'whsec_test_0123456789abcdef';
let fake: FakeComposio;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeComposio();
  t = makeTestApp({
    composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0 }),
    config: { COMPOSIO_WEBHOOK_SECRET: SECRET },
  });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

let counter = 0;
function deliver(event: object, options: { id?: string; timestamp?: number; signature?: string; secret?: string } = {}) {
  const body = JSON.stringify(event);
  const id = options.id ?? `msg_test_${process.pid}_${++counter}_${Date.now()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return request(t.app)
    .post('/webhooks/composio')
    .set('content-type', 'application/json')
    .set('webhook-id', id)
    .set('webhook-timestamp', String(timestamp))
    .set('webhook-signature', options.signature ?? signWebhook(options.secret ?? SECRET, id, timestamp, body))
    .send(body);
}

async function teamWithGmail() {
  const user = await createUser(t.db);
  const accountId = `ca_wh_${user.teamId}_${++counter}`;
  const id = await createOAuth2Connection(t.db, user.teamId, 'gmail', { accountId, identity: 'ops@example.com' });
  return { user, accountId, id };
}

const row = (id: number) =>
  t.db.withOwner((tx) =>
    tx.one<{ composio_status: string; composio_status_reason: string | null }>(
      'SELECT composio_status, composio_status_reason FROM oauth2_connections WHERE id = $1',
      [id],
    ),
  );
const deliveries = (id: string) => t.db.withOwner((tx) => tx.query('SELECT 1 FROM webhook_deliveries WHERE webhook_id = $1', [id]));
const audit = (teamId: number) =>
  t.db
    .withOwner((tx) => tx.query<{ action: string }>('SELECT action FROM audit_events WHERE team_id = $1', [teamId]))
    .then((r) => r.map((x) => x.action));

describe('POST /webhooks/composio', () => {
  it('marks the account expired in the team that owns it, with the reason, and the page says Needs reconnect', async () => {
    const { user, accountId, id } = await teamWithGmail();
    const res = await deliver(expiredEvent({ id: accountId, toolkit: 'gmail' }, 'Refresh token revoked'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, result: 'handled' });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await row(id)).toEqual({ composio_status: 'EXPIRED', composio_status_reason: 'Refresh token revoked' });
    expect(await audit(user.teamId)).toContain('connection.expired');
    const session = await signIn(t.app, user);
    const api = await session.agent.get(`/api/teams/${user.teamId}/integrations`);
    expect(api.body.providers.find((p: { provider: string }) => p.provider === 'gmail').status).toBe('needs_reconnect');
  });

  it('answers 401 to a bad signature, a missing one, or another secret, and writes nothing', async () => {
    const { accountId, id } = await teamWithGmail();
    const event = expiredEvent({ id: accountId, toolkit: 'gmail' });
    for (const options of [{ signature: 'v1,bm90IGEgc2lnbmF0dXJl' }, { signature: '' }, { secret: 'whsec_someone_else_entirely' }]) {
      const webhookId = `msg_bad_${++counter}`;
      const res = await deliver(event, { ...options, id: webhookId });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_signature');
      expect(await deliveries(webhookId)).toEqual([]);
    }
    const unsigned = await request(t.app).post('/webhooks/composio').set('content-type', 'application/json').send(JSON.stringify(event));
    expect(unsigned.status).toBe(401);
    expect((await row(id)).composio_status).toBe('ACTIVE');
  });

  it("logs each rejection with its own request's id, also when several arrive at once", async () => {
    const event = expiredEvent({ id: 'ca_log_ids', toolkit: 'gmail' });
    const answers = await Promise.all(Array.from({ length: 8 }, () => deliver(event, { signature: 'v1,bm90IGEgc2lnbmF0dXJl' })));
    const ids = answers.map((res) => String(res.headers['x-request-id']));
    expect(answers.map((res) => res.status)).toEqual(Array(8).fill(401));
    expect(new Set(ids).size).toBe(8);
    const rejected = t.logs.filter((line) => line.msg === 'Composio webhook rejected' && ids.includes(String(line.requestId)));
    expect(rejected.map((line) => line.requestId).sort()).toEqual([...ids].sort());
    // The one-line request log names the same ids.
    const requestLines = t.logs.filter((line) => line.msg === 'request' && ids.includes(String(line.requestId)));
    expect(requestLines.map((line) => line.requestId).sort()).toEqual([...ids].sort());
  });

  it('refuses an old (correctly signed) timestamp', async () => {
    const { accountId, id } = await teamWithGmail();
    const res = await deliver(expiredEvent({ id: accountId, toolkit: 'gmail' }), { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    expect(res.status).toBe(401);
    expect((await row(id)).composio_status).toBe('ACTIVE');
  });

  it('ignores a replayed webhook-id', async () => {
    const { accountId, id } = await teamWithGmail();
    const event = expiredEvent({ id: accountId, toolkit: 'gmail' });
    const webhookId = `msg_replay_${++counter}`;
    expect((await deliver(event, { id: webhookId })).body.result).toBe('handled');
    // Someone reconnects in between; the replay must not expire it again.
    await t.db.withOwner((tx) => tx.query("UPDATE oauth2_connections SET composio_status = 'ACTIVE' WHERE id = $1", [id]));
    const replay = await deliver(event, { id: webhookId });
    expect(replay.status).toBe(200);
    expect(replay.body.result).toBe('replay');
    expect((await row(id)).composio_status).toBe('ACTIVE');
  });

  it('changes nothing for an account no team has', async () => {
    const res = await deliver(expiredEvent({ id: 'ca_nobody_has_this', toolkit: 'gmail' }));
    expect(res.status).toBe(200);
    expect(res.body.result).toBe('unknown_account');
  });

  it("changes only the owner when another team's account expires", async () => {
    const a = await teamWithGmail();
    const b = await teamWithGmail();
    expect((await deliver(expiredEvent({ id: b.accountId, toolkit: 'gmail' }))).body.result).toBe('handled');
    expect((await row(b.id)).composio_status).toBe('EXPIRED');
    expect((await row(a.id)).composio_status).toBe('ACTIVE');
    expect(await audit(a.user.teamId)).not.toContain('connection.expired');
  });

  it('answers 200 to an unknown event type and changes nothing', async () => {
    const { accountId, id } = await teamWithGmail();
    const webhookId = `msg_other_${++counter}`;
    const event = { ...expiredEvent({ id: accountId, toolkit: 'gmail' }), type: 'composio.connected_account.created' };
    const res = await deliver(event, { id: webhookId });
    expect(res.status).toBe(200);
    expect(res.body.result).toBe('ignored_type');
    expect((await row(id)).composio_status).toBe('ACTIVE');
    expect(await deliveries(webhookId)).toEqual([]);
  });

  it('is the only route without CSRF: a signed-in POST elsewhere without a token is refused', async () => {
    const { user } = await teamWithGmail();
    const session = await signIn(t.app, user);
    const res = await session.agent.post(`/app/team/${user.teamId}/integrations/sync`).type('form').send({});
    expect(res.status).toBe(403);
  });
});

describe('without COMPOSIO_WEBHOOK_SECRET', () => {
  it('answers 404 (no such endpoint here) and writes nothing', async () => {
    const bare = makeTestApp({ composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url }) });
    try {
      const body = JSON.stringify(expiredEvent({ id: 'ca_x', toolkit: 'gmail' }));
      const res = await request(bare.app)
        .post('/webhooks/composio')
        .set('content-type', 'application/json')
        .set('webhook-id', 'msg_unconfigured')
        .send(body);
      expect(res.status).toBe(404);
      expect(await deliveries('msg_unconfigured')).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});
