import type { Tx } from '../db';

/** For the operator's command line, as the table owner. */
export function findTeamByName(tx: Tx, name: string) {
  return tx.maybeOne<{ id: number; name: string; composio_user_id: string }>('SELECT id, name, composio_user_id FROM teams WHERE name = $1 FOR UPDATE', [name]);
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
