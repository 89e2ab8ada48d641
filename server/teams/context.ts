import type { Request } from 'express';
import type { Database, Row, Tx } from '../db';
import { readTogetherAsUser } from '../db/together';
import { HttpError, notFound } from '../http/errors';
import { idParam } from '../http/ids';
import { parse } from '../http/validate';
import { listTeamsOfActingUser, teamsOfActingUserInline, type TeamRow } from './queries';

export interface TeamContext {
  id: number;
  name: string;
  role: 'admin' | 'member';
  isAdmin: boolean;
  /** The one Composio user id this team owns; no other team has it. */
  composioUserId: string;
  lastSyncedAt: Date | null;
  /** Whether the last sync was pressed by someone or ran in the background. */
  lastSyncKind: 'manual' | 'automatic' | null;
  /** Why the background sync left Composio's last listing unapplied, until a person syncs. */
  syncPausedReason: string | null;
  /** Integrations whose accounts are all unusable (expired, failed, disabled in Composio): the nav shows the count. */
  needsReconnect: number;
  /** Every team of the user, for the team switcher. */
  teams: { id: number; name: string }[];
}

/**
 * Runs fn in one transaction as the signed-in user, with the team of the URL loaded. A team the user
 * does not belong to is a 404, exactly like one that does not exist. The teams are read in the same
 * round trip as BEGIN (docs/decisions/017-one-round-trip-per-read.md).
 */
export async function withTeam<T>(db: Database, req: Request, fn: (tx: Tx, team: TeamContext) => Promise<T>): Promise<T> {
  const teamId = teamIdOf(req);
  return db.withUserReading<TeamRow & Row, T>(req.session.userId!, teamsOfActingUserInline(teamId), (tx, rows) =>
    fn(tx, teamFrom(rows, teamId)),
  );
}

/** What a page's reads need of its team before the team is known: its id, from the URL. */
export type TeamRef = Pick<TeamContext, 'id'>;

/**
 * For a page that only reads: the user's teams and the reads `read` asks for, sent together with
 * BEGIN and COMMIT in one round trip (docs/decisions/023-read-only-pages-in-one-round-trip.md).
 * `read` gets the URL's team before its membership is checked: row-level security keeps another
 * team's rows out of the reads, and a team the user does not belong to is a 404 before the reads'
 * own answers are looked at. Its reads must all be asked for before it first awaits (readTogether).
 */
export async function readInTeam<T>(
  db: Database,
  req: Request,
  read: (batch: Tx, team: TeamRef) => Promise<T>,
): Promise<{ team: TeamContext; value: T }> {
  const teamId = teamIdOf(req);
  let reading: Promise<T> | undefined;
  const [rows] = await readTogetherAsUser(db, req.session.userId!, (batch) => {
    reading = read(batch, { id: teamId });
    // Settled before the team is checked: a read refused for another team must not go unhandled.
    reading.catch(() => {});
    return [listTeamsOfActingUser(batch, teamId)];
  });
  const team = teamFrom(rows, teamId);
  return { team, value: await reading! };
}

/** The team id of the URL: a malformed one is a 400 before any query runs. */
export function teamIdOf(req: Request): number {
  return parse(idParam('team id'), (req.params as Record<string, string>).teamId);
}

/** The team of the URL, for a transaction opened with withUser rather than withTeam. */
export async function loadTeam(tx: Tx, teamId: number): Promise<TeamContext> {
  return teamFrom(await listTeamsOfActingUser(tx, teamId), teamId);
}

function teamFrom(rows: TeamRow[], teamId: number): TeamContext {
  const team = rows.find((row) => row.id === teamId);
  if (!team) throw notFound('That team');
  return {
    id: team.id,
    name: team.name,
    role: team.role,
    isAdmin: team.role === 'admin',
    composioUserId: team.composio_user_id,
    lastSyncedAt: team.last_synced_at,
    lastSyncKind: team.last_sync_kind,
    syncPausedReason: team.sync_paused_reason,
    needsReconnect: team.needs_reconnect,
    teams: rows.map(({ id, name }) => ({ id, name })),
  };
}

export function requireAdmin(team: TeamContext, action: string): void {
  if (!team.isAdmin) throw new HttpError(403, `Only team admins can ${action}. Ask an admin of ${team.name}.`);
}
