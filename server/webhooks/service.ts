import type { Database } from '../db';
import type { Logger } from '../logger';
import { recordAudit } from '../audit/queries';
import { lockTeamSync } from '../composio/queries';
import { findTeamsWithAccount, markAccountExpired, recordDelivery } from './queries';

export const EXPIRED_EVENT = 'composio.connected_account.expired';

export type WebhookResult = 'handled' | 'replay' | 'ignored_type' | 'unknown_account' | 'ambiguous_account';

/**
 * A verified composio.connected_account.expired delivery: in one transaction, remember its id
 * (a replay then changes nothing) and mark the account expired in the one team that synced it.
 * Runs as the table owner: a webhook has no acting user, so every statement names its team.
 */
export async function applyExpiredEvent(
  db: Database,
  logger: Logger,
  delivery: { webhookId: string; accountId: string; reason: string | null },
): Promise<WebhookResult> {
  return db.withOwner(async (tx) => {
    if (!(await recordDelivery(tx, delivery.webhookId, EXPIRED_EVENT))) return 'replay';
    const teams = await findTeamsWithAccount(tx, delivery.accountId);
    if (teams.length === 0) return 'unknown_account';
    if (teams.length > 1) {
      // Only rows left from before each team had its own Composio user id can do this; guessing would be worse.
      logger.warn(
        { accountId: delivery.accountId, teams: teams.map((t) => t.team_id) },
        'Expired webhook for an account several teams synced: not applied',
      );
      return 'ambiguous_account';
    }
    const teamId = teams[0]!.team_id;
    await lockTeamSync(tx, teamId);
    const row = await markAccountExpired(tx, teamId, delivery.accountId, delivery.reason);
    if (!row) return 'unknown_account';
    await recordAudit(tx, {
      teamId,
      action: 'connection.expired',
      target: row.label,
      details: { provider: row.slug, account: row.account_identity, reason: delivery.reason },
    });
    return 'handled';
  });
}
