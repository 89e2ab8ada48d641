import type PgBoss from 'pg-boss';
import type { Database } from '../db';
import type { Logger } from '../logger';
import { pauseTeamSync } from '../composio/queries';
import { applySync, pausedReason, SyncNeedsConfirmation, type SyncSummary } from '../composio/sync';
import type { ComposioGateway } from '../composio/types';
import { findTeamForBackgroundSync, listTeamIds } from './queries';

/**
 * Every team synced from Composio once per SYNC_INTERVAL, without anyone pressing Sync.
 * On PostgreSQL the work goes through pg-boss: each instance offers one job per team per interval
 * slot, and a unique index keeps exactly one of them, so several instances sync each team once;
 * a Composio failure is retried with exponential backoff. On the embedded database (one process,
 * one connection at a time) a timer in the process does the same. See docs/decisions/014-background-sync.md.
 */

export const SYNC_QUEUE = 'team-sync';

export interface BackgroundSyncDeps {
  db: Database;
  composio: ComposioGateway;
  logger: Logger;
  /** Which teams to sync; every team unless given (tests narrow it to their own). */
  teamIds?: () => Promise<number[]>;
}

const teamsToSync = (deps: BackgroundSyncDeps) =>
  deps.teamIds?.() ?? deps.db.withOwner((tx) => listTeamIds(tx)).then((rows) => rows.map((r) => r.id));

export interface BackgroundSync {
  /** Offers this interval's jobs now (also done on every tick). */
  enqueue(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One team, as the system: Composio is called with no transaction held, then applied under the
 * team's lock. A listing that would take connections away from assistants (or remove every
 * connection) is not applied: nobody is there to confirm it. The team page says so until a
 * person syncs; null then, as for a team deleted since the job was offered.
 */
export async function syncTeamInBackground(deps: BackgroundSyncDeps, teamId: number): Promise<SyncSummary | null> {
  const team = await deps.db.withOwner((tx) => findTeamForBackgroundSync(tx, teamId));
  if (!team) return null;
  const accounts = await deps.composio.listAccounts(team.composio_user_id);
  try {
    return await deps.db.withOwner((tx) =>
      applySync(tx, deps.logger, { id: team.id, composioUserId: team.composio_user_id }, accounts, 'automatic'),
    );
  } catch (error) {
    if (!(error instanceof SyncNeedsConfirmation)) throw error;
    await deps.db.withOwner((tx) => pauseTeamSync(tx, team.id, pausedReason(error.losses)));
    deps.logger.warn(
      { teamId: team.id, connectionsLost: error.losses.total, removesEverything: error.losses.removesEverything },
      'Background sync paused: it would take connections away',
    );
    return null;
  }
}

export interface QueueOptions {
  connectionString: string;
  intervalMinutes: number;
  /** How often each instance offers jobs; the interval slot decides what runs. Default: a minute. */
  tickMs?: number;
  pollingIntervalSeconds?: number;
  retryDelaySeconds?: number;
  retryLimit?: number;
}

export async function startQueuedSync(deps: BackgroundSyncDeps, options: QueueOptions): Promise<BackgroundSync> {
  // Required here rather than at start: the embedded database never uses it.
  const PgBoss = require('pg-boss') as typeof import('pg-boss');
  const intervalSeconds = options.intervalMinutes * 60;
  const boss = new PgBoss({ connectionString: options.connectionString, max: 2, schema: 'pgboss', application_name: 'switchboard-sync' });
  boss.on('error', (error) => deps.logger.error({ err: error }, 'Background sync queue error'));
  await boss.start();
  try {
    await boss.createQueue(SYNC_QUEUE, {
      name: SYNC_QUEUE,
      retryLimit: options.retryLimit ?? 5,
      retryDelay: options.retryDelaySeconds ?? 30,
      retryBackoff: true,
    });
  } catch (error) {
    if (!(await boss.getQueue(SYNC_QUEUE))) throw error; // another instance created it first
  }
  await boss.work<{ teamId: number }>(
    SYNC_QUEUE,
    { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 5 },
    async ([job]) => {
      const summary = await syncTeamInBackground(deps, job!.data.teamId); // a throw is retried with backoff
      deps.logger.info(
        { teamId: job!.data.teamId, added: summary?.added.length, removed: summary?.removed.length },
        'Background sync done',
      );
    },
  );

  async function enqueue(): Promise<void> {
    const teams = await teamsToSync(deps);
    if (teams.length === 0) return;
    // One statement for every team; ON CONFLICT on (queue, slot, team) drops what another instance offered.
    await boss.insert(
      teams.map((id): PgBoss.JobInsert => ({
        name: SYNC_QUEUE,
        data: { teamId: id },
        singletonKey: `team-${id}`,
        singletonSeconds: intervalSeconds,
      })),
    );
  }
  const tick = setInterval(
    () => enqueue().catch((error: unknown) => deps.logger.error({ err: error }, 'Background sync could not offer jobs')),
    options.tickMs ?? Math.min(60_000, intervalSeconds * 1000),
  );
  tick.unref();
  await enqueue();
  return {
    enqueue,
    async stop() {
      clearInterval(tick);
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}

/** The embedded database: a timer in this process, one team after another. */
export function startInProcessSync(deps: BackgroundSyncDeps, options: { intervalMinutes: number }): BackgroundSync {
  let running: Promise<void> = Promise.resolve();
  async function syncAll(): Promise<void> {
    for (const id of await teamsToSync(deps)) {
      try {
        await syncTeamInBackground(deps, id);
      } catch (error) {
        deps.logger.warn({ teamId: id, err: error }, 'Background sync failed; it runs again next interval');
      }
    }
  }
  const timer = setInterval(() => {
    running = running.then(syncAll);
  }, options.intervalMinutes * 60_000);
  timer.unref();
  return {
    async enqueue() {
      running = running.then(syncAll);
      await running;
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
