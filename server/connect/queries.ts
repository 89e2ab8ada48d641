import type { Tx } from '../db';

export function insertConnectState(
  tx: Tx,
  state: {
    stateHash: string;
    teamId: number;
    sessionHash: string;
    integrationId: number;
    accountId: string;
    assistantId: number | null;
    ttlSeconds: number;
  },
) {
  return tx.query(
    `INSERT INTO connect_states (state_hash, team_id, user_id, session_hash, integration_id, composio_account_id, assistant_id, expires_at)
     VALUES ($1, $2, current_app_user(), $3, $4, $5, $6, now() + make_interval(secs => $7))`,
    [state.stateHash, state.teamId, state.sessionHash, state.integrationId, state.accountId, state.assistantId, state.ttlSeconds],
  );
}

/** Old states of the team go when a new one is made: the table stays small without a sweeper. */
export function deleteExpiredConnectStates(tx: Tx, teamId: number) {
  return tx.query("DELETE FROM connect_states WHERE team_id = $1 AND expires_at < now() - interval '1 day'", [teamId]);
}

/**
 * Uses a state exactly once: only for this team, this person and this session, before it expires.
 * Anything else (forged, reused, expired, another team's or session's) finds no row and changes nothing.
 */
export function consumeConnectState(tx: Tx, stateHash: string, teamId: number, sessionHash: string) {
  return tx.maybeOne<{
    integration_id: number;
    slug: string;
    label: string;
    composio_toolkits: string[];
    composio_account_id: string;
    assistant_id: number | null;
  }>(
    `UPDATE connect_states s SET used_at = now()
       FROM integrations i
      WHERE i.id = s.integration_id AND s.state_hash = $1 AND s.team_id = $2 AND s.user_id = current_app_user()
        AND s.session_hash = $3 AND s.used_at IS NULL AND s.expires_at > now()
      RETURNING s.integration_id, i.slug, i.label, i.composio_toolkits, s.composio_account_id, s.assistant_id`,
    [stateHash, teamId, sessionHash],
  );
}

export function findConnectionByAccount(tx: Tx, teamId: number, accountId: string) {
  return tx.one<{ id: number }>('SELECT id FROM oauth2_connections WHERE team_id = $1 AND composio_account_id = $2', [teamId, accountId]);
}
