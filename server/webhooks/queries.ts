import type { Tx } from '../db';

/** Records a delivery id; returns nothing when it was seen before (a replay or Composio's retry). */
export function recordDelivery(tx: Tx, webhookId: string, eventType: string) {
  return tx.maybeOne<{ webhook_id: string }>(
    'INSERT INTO webhook_deliveries (webhook_id, event_type) VALUES ($1, $2) ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id',
    [webhookId, eventType],
  );
}

/** The teams that synced this Composio account (and did not revoke it). */
export function findTeamsWithAccount(tx: Tx, accountId: string) {
  return tx.query<{ team_id: number }>(
    'SELECT DISTINCT team_id FROM oauth2_connections WHERE composio_account_id = $1 AND revoked_at IS NULL',
    [accountId],
  );
}

/** Marks one team's row of the account expired; the team scope is named in the SQL. */
export function markAccountExpired(tx: Tx, teamId: number, accountId: string, reason: string | null) {
  return tx.maybeOne<{ label: string; slug: string; account_identity: string | null }>(
    `UPDATE oauth2_connections o SET composio_status = 'EXPIRED', composio_status_reason = $3, composio_updated_at = now()
       FROM integrations i
      WHERE i.id = o.integration_id AND o.team_id = $1 AND o.composio_account_id = $2 AND o.revoked_at IS NULL
      RETURNING i.label, i.slug, o.account_identity`,
    [teamId, accountId, reason],
  );
}
