import type { Tx } from '../db';

export interface Assistant {
  id: number;
  name: string;
  description: string;
  integration_count: number;
}

export function listAssistants(tx: Tx, teamId: number) {
  return tx.query<Assistant & Record<string, unknown>>(
    `SELECT p.id, p.name, p.description, count(pi.id)::int AS integration_count
       FROM assistants p LEFT JOIN assistant_integrations pi ON pi.assistant_id = p.id
      WHERE p.team_id = $1 GROUP BY p.id ORDER BY lower(p.name), p.id`,
    [teamId],
  );
}

export function findAssistant(tx: Tx, teamId: number, assistantId: number) {
  return tx.maybeOne<{ id: number; name: string; description: string }>(
    'SELECT id, name, description FROM assistants WHERE id = $1 AND team_id = $2',
    [assistantId, teamId],
  );
}

export function insertAssistant(tx: Tx, teamId: number, name: string, description: string) {
  return tx.one<{ id: number }>('INSERT INTO assistants (team_id, name, description) VALUES ($1, $2, $3) RETURNING id', [
    teamId,
    name,
    description,
  ]);
}

export function updateAssistant(tx: Tx, teamId: number, assistantId: number, name: string, description: string) {
  return tx.maybeOne<{ id: number }>(
    'UPDATE assistants SET name = $3, description = $4, updated_at = now() WHERE id = $1 AND team_id = $2 RETURNING id',
    [assistantId, teamId, name, description],
  );
}

/** Two walls: the team scope is in the SQL, and row-level security applies as well. */
export function deleteAssistant(tx: Tx, teamId: number, assistantId: number) {
  return tx.maybeOne<{ name: string }>(
    `DELETE FROM assistants
      WHERE id = $1 AND team_id = $2
        AND team_id IN (SELECT team_id FROM team_users WHERE user_id = current_app_user())
      RETURNING name`,
    [assistantId, teamId],
  );
}

/**
 * The assistant, locked for the rest of the transaction. Every change to one assistant or its
 * integrations takes this lock first, so concurrent writers queue here instead of deadlocking on
 * the rows below it.
 */
export function lockAssistant(tx: Tx, teamId: number, assistantId: number) {
  return tx.maybeOne<{ id: number; name: string; description: string }>(
    'SELECT id, name, description FROM assistants WHERE id = $1 AND team_id = $2 FOR UPDATE',
    [assistantId, teamId],
  );
}
