import type { Tx } from '../db';

/** For the operator's command line, as the table owner. */
export function findTeamByName(tx: Tx, name: string) {
  return tx.maybeOne<{ id: number; name: string; composio_user_id: string }>(
    'SELECT id, name, composio_user_id FROM teams WHERE name = $1 FOR UPDATE',
    [name],
  );
}

export function findTeamByComposioUserId(tx: Tx, composioUserId: string) {
  return tx.maybeOne<{ id: number; name: string }>('SELECT id, name FROM teams WHERE composio_user_id = $1', [composioUserId]);
}

export function listTeamNames(tx: Tx) {
  return tx.query<{ name: string }>('SELECT name FROM teams ORDER BY name LIMIT 20');
}

/** The unique constraint on teams.composio_user_id refuses an id another team has, whatever raced. */
export function setTeamComposioUserId(tx: Tx, teamId: number, composioUserId: string) {
  return tx.query('UPDATE teams SET composio_user_id = $2 WHERE id = $1', [teamId, composioUserId]);
}

export interface TeamRow {
  id: number;
  name: string;
  role: 'admin' | 'member';
  composio_user_id: string;
  last_synced_at: Date | null;
  last_sync_kind: 'manual' | 'automatic' | null;
  sync_paused_reason: string | null;
  needs_reconnect: number;
}

/**
 * The acting user's teams, each with the user's role, and for the page's own team how many
 * integrations need reconnecting (the nav's count; 0 for the others, whose count no page shows: a
 * user in three teams paid for three counts): those with accounts present and none of them active
 * in Composio. Every request pays for it, so it reads the team's connection_counts (one small row
 * per integration, kept by triggers; migrations/1764900000000_connection-counts.sql) rather than
 * any account. Only integrations with Composio toolkits can have accounts (the sync and Connect
 * Links make them), and only those are on the team page that the count points to, so only those
 * are counted. `team` is `$1` for a read with parameters, or the team id itself for one that rides
 * in the BEGIN round trip, which takes none (Database.withUserReading).
 */
function teamsOfActingUserSql(team: string): string {
  return `
  SELECT t.id, t.name, tu.role, t.composio_user_id, t.last_synced_at, t.last_sync_kind, t.sync_paused_reason,
         CASE WHEN t.id = ${team} THEN
         (SELECT count(*)::int FROM connection_counts c JOIN integrations i ON i.id = c.integration_id
           WHERE c.team_id = t.id AND c.oauth2_present > 0 AND c.oauth2_active = 0 AND cardinality(i.composio_toolkits) > 0)
         ELSE 0 END AS needs_reconnect
    FROM teams t JOIN team_users tu ON tu.team_id = t.id AND tu.user_id = current_app_user()
   ORDER BY t.name, t.id`;
}

const TEAMS_OF_ACTING_USER = teamsOfActingUserSql('$1::int');

/** The text for Database.withUserReading: the team id inlined, and only ever as an integer. */
export function teamsOfActingUserInline(teamId: number): string {
  if (!Number.isSafeInteger(teamId)) throw new TypeError(`A team id is an integer, not ${String(teamId)}.`);
  return teamsOfActingUserSql(String(teamId));
}

export function listTeamsOfActingUser(tx: Tx, teamId: number) {
  return tx.query<TeamRow & Record<string, unknown>>(TEAMS_OF_ACTING_USER, [teamId], { timestamps: ['last_synced_at'] });
}
