import pg from 'pg';
import type { Express } from 'express';
import { createApp } from '../../server/app';
import { createComposioGateway } from '../../server/composio/client';
import { createDatabase, type Database } from '../../server/db';
import { migrate } from '../../server/db/migrate';
import { createLogger } from '../../server/logger';
import { startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { createAssistant, createUser, signIn, testConfig, type SignedIn, type TestUser } from '../helpers/app';
import { integrationId } from '../helpers/fixtures';
import { seededRandom } from '../helpers/random';
import { hostAndPort, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

/**
 * Connections die in the middle of transactions and syncs under parallel load. On PostgreSQL the
 * app's backends are terminated with pg_terminate_backend, in a database this test creates for
 * itself (so no one else's backends are touched). The embedded database has a single backend that
 * cannot be terminated without stopping it, so there the app's connections are cut at a relay
 * instead; PGlite's socket server rolls back what the cut connection had open.
 */

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const WORKERS = 8;
const TEAMS = 4;
const OPS_PER_WORKER = 30;
const ACCOUNTS_PER_TEAM = 30;
const TOOLKITS = ['gmail', 'github', 'notion', 'linear', 'googledocs', 'googlesheets'];

interface Fault {
  /** Breaks the app's connections once; returns how many were broken and how many were inside a transaction. */
  strike(): Promise<{ broken: number; inTransaction: number }>;
  close(): Promise<void>;
}

let db: Database;
let app: Express;
let fake: FakeComposio;
let fault: Fault;
let cleanUp: () => Promise<void>;

async function onOwnPostgresDatabase(): Promise<string> {
  const server = process.env.TEST_DATABASE_URL!;
  const name = `switchboard_faults_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  const terminator = new pg.Client({ connectionString: url.toString() });
  terminator.on('error', () => {});
  await terminator.connect();
  fault = {
    async strike() {
      const { rows } = await terminator.query<{ broken: number; in_transaction: number }>(
        // The CTE is evaluated first, so the terminator's own backend is never a candidate.
        `WITH victims AS MATERIALIZED (
           SELECT pid, xact_start FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
         )
         SELECT count(*)::int AS broken, count(*) FILTER (WHERE xact_start IS NOT NULL)::int AS in_transaction
           FROM victims WHERE pg_terminate_backend(pid)`,
      );
      return { broken: rows[0]!.broken, inTransaction: rows[0]!.in_transaction };
    },
    async close() {
      await terminator.end();
    },
  };
  cleanUp = async () => {
    const dropper = new pg.Client({ connectionString: server });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  };
  await migrate(url.toString());
  return url.toString();
}

async function onEmbeddedThroughRelay(): Promise<string> {
  const url = process.env.SWITCHBOARD_TEST_DB_URL!;
  const proxy: TcpProxy = await startTcpProxy(hostAndPort(url));
  fault = {
    async strike() {
      const broken = proxy.dropConnections();
      return { broken, inTransaction: 0 };
    },
    close: () => proxy.close(),
  };
  cleanUp = async () => {};
  return proxy.url(url);
}

beforeAll(async () => {
  if (!onPostgres)
    console.log(
      'faults.test: embedded database, so connections are cut at a relay (PGlite has one backend, which pg_terminate_backend cannot reach)',
    );
  const url = onPostgres ? await onOwnPostgresDatabase() : await onEmbeddedThroughRelay();
  // Prepared page reads as the app opens each database (decision 020): a statement prepared on a
  // connection that dies must not break the next one.
  db = createDatabase({
    connectionString: url,
    description: 'under faults',
    maxConnections: onPostgres ? 10 : 1,
    prepare: onPostgres ? 'per-connection' : 'one-session',
  });
  fake = await startFakeComposio();
  const composio = createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 5000, maxRetries: 0 });
  app = createApp({ config: testConfig(), db, logger: createLogger('silent'), composio });
}, 60_000);
afterAll(async () => {
  await fault?.close();
  await db?.close();
  await fake?.close();
  await cleanUp?.();
});

interface Worker {
  user: TestUser;
  session: SignedIn;
  assistantId: number;
}

type Outcome = { worker: number; op: string; status: number; name?: string };

describe('connections dying under parallel load', () => {
  it('keeps the process up, answers only 2xx, 3xx or 503, applies every write whole or not at all, and recovers', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);

    const teams: TestUser[] = [];
    for (let i = 0; i < TEAMS; i++) {
      const user = await createUser(db);
      const composioUserId = `faults-team-${user.teamId}`;
      await db.withOwner((tx) => tx.query('UPDATE teams SET composio_user_id = $2 WHERE id = $1', [user.teamId, composioUserId]));
      teams.push(user);
    }
    fake.setAccounts(
      teams.flatMap((team) =>
        Array.from({ length: ACCOUNTS_PER_TEAM }, (_, n) => ({
          id: `faults_${team.teamId}_${n}`,
          userId: `faults-team-${team.teamId}`,
          toolkit: TOOLKITS[n % TOOLKITS.length]!,
        })),
      ),
    );
    const workers: Worker[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const user = teams[i % TEAMS]!;
      workers.push({ user, session: await signIn(app, user), assistantId: (await createAssistant(db, user.teamId)).id });
    }
    const toggled = [await integrationId(db, 'calculator'), await integrationId(db, 'web_browser')];

    const outcomes: Outcome[] = [];
    const run = async (index: number) => {
      const random = seededRandom(1000 + index);
      const { user, session, assistantId } = workers[index]!;
      const assistantPage = `/app/team/${user.teamId}/assistant/${assistantId}/integrations`;
      for (let i = 0; i < OPS_PER_WORKER; i++) {
        const pick = Math.floor(random() * 6);
        const integration = toggled[Math.floor(random() * toggled.length)]!;
        const form = { _csrf: session.csrf };
        if (pick === 0) {
          outcomes.push({ worker: index, op: 'assistant page', status: (await session.agent.get(assistantPage)).status });
        } else if (pick === 1) {
          outcomes.push({
            worker: index,
            op: 'team JSON',
            status: (await session.agent.get(`/api/teams/${user.teamId}/integrations`)).status,
          });
        } else if (pick === 2) {
          const name = `Faults ${index}-${i}`;
          const res = await session.agent
            .post(`/app/team/${user.teamId}/assistants`)
            .type('form')
            .send({ ...form, name, description: 'made under faults' });
          outcomes.push({ worker: index, op: 'create assistant', status: res.status, name });
        } else if (pick === 3) {
          outcomes.push({
            worker: index,
            op: 'add',
            status: (await session.agent.post(`${assistantPage}/add/${integration}`).type('form').send(form)).status,
          });
        } else if (pick === 4) {
          outcomes.push({
            worker: index,
            op: 'remove',
            status: (await session.agent.post(`${assistantPage}/remove/${integration}`).type('form').send(form)).status,
          });
        } else {
          outcomes.push({
            worker: index,
            op: 'sync',
            status: (await session.agent.post(`/app/team/${user.teamId}/integrations/sync`).type('form').send(form)).status,
          });
        }
      }
    };

    let loadDone = false;
    const strikes = { count: 0, broken: 0, inTransaction: 0 };
    const striker = (async () => {
      const random = seededRandom(8);
      while (!loadDone) {
        await new Promise((resolve) => setTimeout(resolve, 40 + Math.floor(random() * 80)));
        const { broken, inTransaction } = await fault.strike();
        strikes.count++;
        strikes.broken += broken;
        strikes.inTransaction += inTransaction;
      }
    })();
    await Promise.all(workers.map((_, index) => run(index)));
    loadDone = true;
    await striker;

    // The faults really happened, and some hit open transactions (PostgreSQL reports which).
    expect(strikes.broken).toBeGreaterThan(0);
    if (onPostgres) expect(strikes.inTransaction).toBeGreaterThan(0);
    expect(outcomes).toHaveLength(WORKERS * OPS_PER_WORKER);
    expect(outcomes.filter((o) => !(o.status < 400 || o.status === 503))).toEqual([]);

    // Back to normal: a bounded number of tries (50, 100 ms apart: 5 seconds), then every request succeeds.
    const probe = workers[0]!;
    const probePage = `/app/team/${probe.user.teamId}/assistants`;
    let tries = 0;
    while ((await probe.session.agent.get(probePage)).status !== 200 && tries < 50) {
      tries++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(tries).toBeLessThan(50);
    const after: number[] = [];
    for (let i = 0; i < 10; i++) {
      after.push((await probe.session.agent.get(probePage)).status);
      after.push(
        (
          await probe.session.agent
            .post(probePage)
            .type('form')
            .send({ _csrf: probe.session.csrf, name: `After faults ${i}`, description: '' })
        ).status,
      );
    }
    expect(after).toEqual(Array.from({ length: 10 }, () => [200, 303]).flat());

    // Whole or nothing: an assistant and its audit row, an integration and the audit rows that
    // added and removed it, a sync's accounts and its audit row.
    await db.withOwner(async (tx) => {
      for (const created of outcomes.filter((o) => o.op === 'create assistant')) {
        const team = workers[created.worker]!.user.teamId;
        const { rows, audits } = await tx.one<{ rows: number; audits: number }>(
          `SELECT (SELECT count(*)::int FROM assistants WHERE team_id = $1 AND name = $2) AS rows,
                  (SELECT count(*)::int FROM audit_events WHERE team_id = $1 AND action = 'assistant.created' AND target = $2) AS audits`,
          [team, created.name],
        );
        expect([created.name, rows]).toEqual([created.name, audits]);
        expect(rows).toBeLessThanOrEqual(1);
        if (created.status === 303) expect({ name: created.name, rows }).toEqual({ name: created.name, rows: 1 });
      }
      for (const worker of workers) {
        for (const integration of toggled) {
          const state = await tx.one<{ present: number; added: number; removed: number }>(
            `SELECT (SELECT count(*)::int FROM assistant_integrations WHERE assistant_id = $1 AND integration_id = $2) AS present,
                    (SELECT count(*)::int FROM audit_events WHERE action = 'assistant.integration_added' AND (details->>'assistantId')::int = $1
                        AND details->>'integration' = (SELECT slug FROM integrations WHERE id = $2)) AS added,
                    (SELECT count(*)::int FROM audit_events WHERE action = 'assistant.integration_removed' AND (details->>'assistantId')::int = $1
                        AND details->>'integration' = (SELECT slug FROM integrations WHERE id = $2)) AS removed`,
            [worker.assistantId, integration],
          );
          expect(state.added - state.removed).toBe(state.present);
        }
      }
      for (const team of teams) {
        const { accounts, syncs } = await tx.one<{ accounts: number; syncs: number }>(
          `SELECT (SELECT count(*)::int FROM oauth2_connections WHERE team_id = $1) AS accounts,
                  (SELECT count(*)::int FROM audit_events WHERE team_id = $1 AND action = 'composio.synced') AS syncs`,
          [team.teamId],
        );
        expect(syncs === 0 ? accounts : ACCOUNTS_PER_TEAM).toBe(accounts);
      }
    });

    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    expect(uncaught).toEqual([]);
  }, 120_000);
});
