import type { Tx } from '../db';

/**
 * Per assistant, how many of its integrations need a connection and have none that works
 * (deleted API key; OAuth2 account disabled here, expired, failed, revoked or gone): one statement.
 */
export function listAssistantsNeedingAttention(tx: Tx, teamId: number) {
  return tx.query<{ assistant_id: number; needs_attention: number }>(
    `SELECT pi.assistant_id, count(*)::int AS needs_attention
       FROM assistant_integrations pi
       JOIN integrations i ON i.id = pi.integration_id AND i.auth <> 'none'
       LEFT JOIN oauth2_connections o ON o.id = pi.oauth2_connection_id AND o.team_id = pi.team_id
      WHERE pi.team_id = $1 AND pi.api_connection_id IS NULL
        AND NOT coalesce(o.enabled AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
                         AND o.composio_status = 'ACTIVE' AND NOT o.composio_disabled, false)
      GROUP BY pi.assistant_id`,
    [teamId],
  );
}
