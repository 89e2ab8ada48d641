import { setTimeout as sleep } from 'node:timers/promises';
import { startInProcessSync, startQueuedSync, syncTeamInBackground, type BackgroundSync } from '../../server/background/sync';
import { createComposioGateway } from '../../server/composio/client';
import { createLogger } from '../../server/logger';
import { startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { createUser, decodeEntities, makeTestApp, signIn, type TestApp } from '../helpers/app';
import { describeOnPostgres } from '../helpers/postgres-only';

let fake: FakeComposio;
let t: TestApp;
const logger = createLogger('silent');
beforeAll(async () => {
  fake = await startFakeComposio();
  t = makeTestApp({ composio: gateway() });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});
beforeEach(() => fake.reset());

const gateway = () => createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0, timeoutMs: 2000 });

let lastUser: Awaited<ReturnType<typeof createUser>>;
async function teamWithAccount(toolkit = 'gmail') {
  const user = await createUser(t.db);
  lastUser = user;
  const { composio_user_id: userId } = await t.db.withOwner((tx) =>
    tx.one<{ composio_user_id: string }>('SELECT composio_user_id FROM teams WHERE id = $1', [user.teamId]),
  );
  fake.accounts.push({ id: `ca_bg_${user.teamId}`, userId, toolkit, email: `team${user.teamId}@example.com` });
  return { teamId: user.teamId, userId };
}

const automaticSyncs = (teamId: number) =>
  t.db
    .withOwner((tx) =>
      tx.one<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1 AND action = 'composio.synced' AND details->>'kind' = 'automatic'",
        [teamId],
      ),
    )
    .then((r) => r.n);
const listCalls = (userId: string) =>
  fake.requests.filter((r) => r.method === 'GET' && r.path === '/api/v3.1/connected_accounts' && r.query.user_ids === userId).length;

/** Waits (bounded by a count of checks, not a clock assertion) until the condition holds. */
async function until(condition: () => Promise<boolean>, checks = 200): Promise<void> {
  for (let i = 0; i < checks; i++) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error('condition never held');
}

describe('a background sync of one team', () => {
  it('syncs as the system, records that it was automatic, and the page says so', async () => {
    const { teamId } = await teamWithAccount();
    const summary = await syncTeamInBackground({ db: t.db, composio: gateway(), logger }, teamId);
    expect(summary?.added).toEqual(['gmail']);
    const team = await t.db.withOwner((tx) =>
      tx.one<{ last_sync_kind: string; last_synced_at: Date | null }>('SELECT last_sync_kind, last_synced_at FROM teams WHERE id = $1', [
        teamId,
      ]),
    );
    expect(team.last_sync_kind).toBe('automatic');
    expect(team.last_synced_at).not.toBeNull();
    expect(await automaticSyncs(teamId)).toBe(1);
    await t.db.withOwner((tx) =>
      tx.query("UPDATE teams SET last_synced_at = now() - interval '3 minutes 10 seconds' WHERE id = $1", [teamId]),
    );
    const session = await signIn(t.app, lastUser);
    const page = decodeEntities((await session.agent.get(`/app/team/${teamId}/integrations`)).text);
    expect(page.replace(/<[^>]+>/g, '')).toContain('Last synced 3 minutes ago (automatic).');
    expect(page).toMatch(/Last synced <time datetime="[^"]+Z" title="[^"]+ UTC">3 minutes ago<\/time>/);
    expect(page).toContain('Background sync: 1 added, 0 removed, 0 unchanged');
  });
});

describe('a background sync that would take connections away', () => {
  const state = (teamId: number) =>
    t.db.withOwner((tx) =>
      tx.one<{ reason: string | null; gone: number }>(
        'SELECT t.sync_paused_reason AS reason, (SELECT count(*)::int FROM oauth2_connections o WHERE o.team_id = t.id AND o.disconnected_at IS NOT NULL) AS gone FROM teams t WHERE t.id = $1',
        [teamId],
      ),
    );

  it('applies nothing, says why on the team page, and a confirmed sync clears it', async () => {
    const { teamId } = await teamWithAccount();
    const deps = { db: t.db, composio: gateway(), logger };
    await syncTeamInBackground(deps, teamId);
    const assistant = await t.db.withOwner((tx) =>
      tx.one<{ id: number }>("INSERT INTO assistants (team_id, name) VALUES ($1, 'Mailer') RETURNING id", [teamId]),
    );
    await t.db.withOwner((tx) =>
      tx.query(
        'INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, oauth2_connection_id) SELECT team_id, $2, integration_id, id FROM oauth2_connections WHERE team_id = $1',
        [teamId, assistant.id],
      ),
    );

    fake.accounts.splice(0, fake.accounts.length); // Composio lists nothing for the team now
    expect(await syncTeamInBackground(deps, teamId)).toBeNull();
    expect(await state(teamId)).toEqual({ reason: expect.stringContaining('would have removed every connection'), gone: 0 });
    expect(await automaticSyncs(teamId)).toBe(1);

    const session = await signIn(t.app, lastUser);
    const page = decodeEntities((await session.agent.get(`/app/team/${teamId}/integrations`)).text);
    expect(page).toContain('Automatic sync is paused.');
    expect(page).toContain(`href="/app/team/${teamId}/integrations/sync/confirm"`);

    await session.agent
      .post(`/app/team/${teamId}/integrations/sync`)
      .type('form')
      .send({ _csrf: session.csrf, confirm: 'yes' })
      .expect(303);
    expect(await state(teamId)).toEqual({ reason: null, gone: 1 });
    expect(decodeEntities((await session.agent.get(`/app/team/${teamId}/integrations`)).text)).not.toContain('Automatic sync is paused.');
  });
});

describe('in this process (the embedded database)', () => {
  it('syncs each team of the run once', async () => {
    const a = await teamWithAccount();
    const b = await teamWithAccount('notion');
    const background = startInProcessSync(
      { db: t.db, composio: gateway(), logger, teamIds: async () => [a.teamId, b.teamId] },
      { intervalMinutes: 15 },
    );
    await background.enqueue();
    await background.stop();
    expect([await automaticSyncs(a.teamId), await automaticSyncs(b.teamId)]).toEqual([1, 1]);
  });
});

// pg-boss needs a PostgreSQL server that takes several connections; the embedded database takes
// one at a time, which is why it syncs in-process (README, docs/decisions/014-background-sync.md).
describeOnPostgres('two app instances on one PostgreSQL (pg-boss)', () => {
  const url = process.env.SWITCHBOARD_TEST_DB_URL!;
  const instances: BackgroundSync[] = [];
  const second: TestApp[] = [];
  afterEach(async () => {
    for (const instance of instances.splice(0)) await instance.stop();
    for (const app of second.splice(0)) await app.close();
  });

  async function twoInstances(teamIds: number[]) {
    const other = makeTestApp();
    second.push(other);
    for (const db of [t.db, other.db]) {
      instances.push(
        await startQueuedSync(
          { db, composio: gateway(), logger, teamIds: async () => teamIds },
          { connectionString: url, intervalMinutes: 15, tickMs: 3_600_000, pollingIntervalSeconds: 0.5, retryDelaySeconds: 1 },
        ),
      );
    }
  }

  it('syncs each team once per interval, however often both instances offer the jobs', async () => {
    const a = await teamWithAccount();
    const b = await teamWithAccount('github');
    await twoInstances([a.teamId, b.teamId]);
    for (let round = 0; round < 3; round++) for (const instance of instances) await instance.enqueue();
    await until(async () => (await automaticSyncs(a.teamId)) === 1 && (await automaticSyncs(b.teamId)) === 1);
    // Offer again after the work is done: the interval's slot is taken, nothing more runs.
    for (const instance of instances) await instance.enqueue();
    await sleep(1500);
    expect([await automaticSyncs(a.teamId), await automaticSyncs(b.teamId)]).toEqual([1, 1]);
    expect([listCalls(a.userId), listCalls(b.userId)]).toEqual([1, 1]);
  });

  it('retries a sync that Composio failed, with backoff, until it succeeds', async () => {
    const a = await teamWithAccount();
    fake.failNext(2, { status: 503, message: 'Composio is restarting' });
    await twoInstances([a.teamId]);
    await until(async () => (await automaticSyncs(a.teamId)) === 1, 300);
    expect(listCalls(a.userId)).toBe(3);
  });
});
