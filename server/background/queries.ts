import type { Tx } from '../db';

/** As the table owner: the background sync has no acting user. */
export function listTeamIds(tx: Tx) {
  return tx.query<{ id: number }>('SELECT id FROM teams ORDER BY id');
}

export function findTeamForBackgroundSync(tx: Tx, teamId: number) {
  return tx.maybeOne<{ id: number; composio_user_id: string }>('SELECT id, composio_user_id FROM teams WHERE id = $1', [teamId]);
}
