import type { Request } from 'express';
import type { Database, Tx } from '../db';
import { HttpError, notFound } from '../http/errors';
import { idParam } from '../http/ids';
import { parse } from '../http/validate';

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
  /** Providers whose accounts are all unusable (expired, failed, disabled in Composio): the nav shows the count. */
  needsReconnect: number;
  /** Every team of the user, for the team switcher. */
  teams: { id: number; name: string }[];
}

/**
 * Runs fn in one transaction as the signed-in user, with the team of the URL loaded. A team the user
 * does not belong to is a 404, exactly like one that does not exist.
 */
export async function withTeam<T>(db: Database, req: Request, fn: (tx: Tx, team: TeamContext) => Promise<T>): Promise<T> {
  const teamId = teamIdOf(req);
  return db.withUser(req.session.userId!, async (tx) => fn(tx, await loadTeam(tx, teamId)));
}

/** The team id of the URL: a malformed one is a 400 before any query runs. */
export function teamIdOf(req: Request): number {
  return parse(idParam('team id'), (req.params as Record<string, string>).teamId);
}

export async function loadTeam(tx: Tx, teamId: number): Promise<TeamContext> {
  const rows = await tx.query<{ id: number; name: string; role: 'admin' | 'member'; composio_user_id: string; last_synced_at: Date | null; last_sync_kind: 'manual' | 'automatic' | null; needs_reconnect: number }>(
    `SELECT t.id, t.name, tu.role, t.composio_user_id, t.last_synced_at, t.last_sync_kind,
            (SELECT count(*)::int FROM (
               SELECT 1 FROM oauth2_connections o
                WHERE o.team_id = t.id AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
                GROUP BY o.integration_id
               HAVING NOT bool_or(o.composio_status = 'ACTIVE' AND NOT o.composio_disabled)) r) AS needs_reconnect
       FROM teams t JOIN team_users tu ON tu.team_id = t.id AND tu.user_id = current_app_user()
      ORDER BY t.name, t.id`,
  );
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
    needsReconnect: team.needs_reconnect,
    teams: rows.map(({ id, name }) => ({ id, name })),
  };
}

export function requireAdmin(team: TeamContext, action: string): void {
  if (!team.isAdmin) throw new HttpError(403, `Only team admins can ${action}. Ask an admin of ${team.name}.`);
}
