import type { Database } from '../db';
import { recordAudit } from '../audit/queries';
import { HttpError, notFound } from '../http/errors';
import { findOAuth2Integration } from '../connections/queries';
import { loadTeam, requireAdmin } from '../teams/context';
import { notConfigured } from './sync';
import { ComposioError, type ComposioGateway } from './types';
import { listPresentAccounts, lockTeamSync, markAccountsRevoked } from './queries';

export interface RevokeDeps {
  db: Database;
  composio: ComposioGateway | null;
}

export interface RevokeOutcome {
  /** False when Composio refused some of the accounts: the others are revoked and recorded. */
  complete: boolean;
  revoked: number;
  refused: number;
  message: string;
}

/**
 * Revokes an integration's accounts in Composio, then records exactly what Composio confirmed, in
 * three steps like the sync: read the team's accounts of that integration (a short transaction), call
 * Composio for each with no transaction or connection held, then mark the confirmed ones revoked in
 * one transaction. Only accounts synced into the acting team are ever sent to Composio. If Composio
 * refuses every account, nothing changes and the Composio error propagates; if it refuses some,
 * the rest are recorded and the message says which part failed.
 */
export async function revokeIntegration(deps: RevokeDeps, userId: number, teamId: number, slug: string): Promise<RevokeOutcome> {
  const { team, provider, accounts } = await deps.db.withUser(userId, async (tx) => {
    const team = await loadTeam(tx, teamId);
    requireAdmin(team, 'revoke connections');
    const provider = await findOAuth2Integration(tx, slug);
    if (!provider) throw notFound('That integration');
    return { team, provider, accounts: await listPresentAccounts(tx, team.id, provider.id) };
  });
  if (!deps.composio) throw notConfigured();
  if (accounts.length === 0) throw new HttpError(409, `${provider.label} has no connected account to revoke.`, 'not_connected');

  const confirmed: string[] = [];
  const refusals: ComposioError[] = [];
  for (const account of accounts) {
    try {
      await deps.composio.revokeAccount(account.composio_account_id); // an account already gone counts as revoked
      confirmed.push(account.composio_account_id);
    } catch (error) {
      if (!(error instanceof ComposioError)) throw error;
      refusals.push(error);
    }
  }
  if (confirmed.length === 0) throw refusals[0]!;

  return deps.db.withUser(userId, async (tx) => {
    await loadTeam(tx, team.id);
    await lockTeamSync(tx, team.id);
    const marked = await markAccountsRevoked(tx, team.id, provider.id, confirmed);
    await recordAudit(tx, {
      teamId: team.id,
      action: 'connection.revoked',
      target: provider.label,
      details: { provider: slug, accounts: marked.length, refused: refusals.length },
    });
    return {
      complete: refusals.length === 0,
      revoked: confirmed.length,
      refused: refusals.length,
      message: revokeMessage(provider.label, accounts.length, confirmed.length, refusals),
    };
  });
}

function revokeMessage(label: string, total: number, revoked: number, refusals: ComposioError[]): string {
  if (refusals.length === 0) {
    return `Revoked ${label}: ${total === 1 ? 'its account was' : `${total} accounts were`} disconnected in Composio.`;
  }
  const reason = refusals[0]!.message.trim();
  const others = refusals.length === 1 ? 'the other' : `the other ${refusals.length}`;
  return `Revoked ${revoked} of ${total} ${label} accounts; Composio refused ${others}: ${/[.!?]$/.test(reason) ? reason : `${reason}.`}`;
}
