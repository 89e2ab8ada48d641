import type { Database, Tx } from '../db';
import type { Logger } from '../logger';
import { recordAudit } from '../audit/queries';
import { HttpError } from '../http/errors';
import { loadTeam, requireAdmin, type TeamContext } from '../teams/context';
import type { ComposioAccount, ComposioGateway } from './types';
import { listComposioProviders, listKnownAccounts, lockTeamSync, markVanished, touchTeamSyncedAt, upsertAccounts, type AccountUpsert } from './queries';

/** Provider slugs, e.g. { added: ['gmail'], removed: [], unchanged: ['github'] }. */
export interface SyncSummary {
  added: string[];
  removed: string[];
  unchanged: string[];
}

export interface SyncDeps {
  db: Database;
  composio: ComposioGateway | null;
  logger: Logger;
  defaultComposioUserId: string;
}

export const notConfigured = () =>
  new HttpError(
    503,
    'Syncing from Composio is not configured on this server: set COMPOSIO_API_KEY and restart Switchboard.',
    'composio_not_configured',
  );

/**
 * Brings the team's OAuth2 connections in line with Composio, in three steps: check the user may
 * (a short transaction), list the accounts in Composio (no transaction or connection held while
 * Composio answers), then apply everything in one transaction under a per-team advisory lock. A
 * Composio failure therefore changes nothing, and a second sync of the same team waits for the
 * first and then finds its changes already there. Writes are batched: the number of statements
 * does not grow with the number of accounts.
 */
export async function syncTeam(deps: SyncDeps, userId: number, teamId: number): Promise<SyncSummary> {
  const team = await deps.db.withUser(userId, (tx) => loadSyncingTeam(tx, teamId));
  if (!deps.composio) throw notConfigured();
  const accounts = await deps.composio.listAccounts(team.composioUserId ?? deps.defaultComposioUserId);

  return deps.db.withUser(userId, async (tx) => {
    await loadSyncingTeam(tx, teamId);
    await lockTeamSync(tx, team.id);
    const providers = await listComposioProviders(tx);
    const providerByToolkit = new Map(providers.flatMap((p) => p.composio_toolkits.map((toolkit) => [toolkit, p] as const)));
    const known = await listKnownAccounts(tx, team.id);
    const revoked = new Set(known.filter((k) => k.revoked).map((k) => k.composio_account_id));

    const rows = new Map<string, AccountUpsert & { slug: string }>();
    for (const account of accounts) {
      const provider = providerByToolkit.get(account.toolkitSlug);
      if (!provider) {
        deps.logger.warn({ toolkit: account.toolkitSlug, accountId: account.id, teamId: team.id }, 'Composio account of an unknown toolkit skipped');
        continue;
      }
      const previous = rows.get(account.id);
      if (previous && previous.updatedAt >= account.updatedAt) continue; // the same account listed twice: most recent wins
      rows.set(account.id, { ...toRow(account, provider.id), slug: provider.slug });
    }

    const before = new Set(known.filter((k) => k.present).map((k) => k.slug));
    const after = new Set([...rows.values()].filter((r) => !revoked.has(r.accountId)).map((r) => r.slug));
    const summary: SyncSummary = {
      added: [...after].filter((slug) => !before.has(slug)).sort(),
      removed: [...before].filter((slug) => !after.has(slug)).sort(),
      unchanged: [...after].filter((slug) => before.has(slug)).sort(),
    };

    if (rows.size > 0) await upsertAccounts(tx, team.id, [...rows.values()]);
    await markVanished(tx, team.id, [...rows.keys()]);
    await touchTeamSyncedAt(tx, team.id);
    await recordAudit(tx, { teamId: team.id, action: 'composio.synced', target: 'Composio', details: { ...summary, accounts: rows.size } });
    return summary;
  });
}

async function loadSyncingTeam(tx: Tx, teamId: number): Promise<TeamContext> {
  const team = await loadTeam(tx, teamId);
  requireAdmin(team, 'sync connections from Composio');
  return team;
}

function toRow(account: ComposioAccount, integrationId: number): AccountUpsert {
  return {
    integrationId,
    accountId: account.id,
    toolkit: account.toolkitSlug,
    identity: account.identity,
    status: account.status,
    disabled: account.isDisabled,
    connectedAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
}

export function syncMessage(summary: SyncSummary): string {
  return `Synced: ${summary.added.length} added, ${summary.removed.length} removed, ${summary.unchanged.length} unchanged`;
}
