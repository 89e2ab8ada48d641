import type { Database, Tx } from '../db';
import type { Logger } from '../logger';
import { recordAudit } from '../audit/queries';
import { plural } from '../text/plural';
import { HttpError } from '../http/errors';
import { loadTeam, requireAdmin, type TeamContext } from '../teams/context';
import type { ComposioAccount, ComposioGateway } from './types';
import {
  findTeamComposioUserId,
  listOAuth2Integrations,
  listAssistantsLosingAccounts,
  listKnownAccounts,
  lockTeamSync,
  markVanished,
  touchTeamSyncedAt,
  upsertAccounts,
  type AccountUpsert,
  type KnownAccount,
} from './queries';

/**
 * Integration slugs, e.g. { added: ['gmail'], removed: [], unchanged: ['github'], needsReconnect: [] }.
 * added: usable now and not before; removed: gone from Composio; unchanged: usable before and now;
 * needsReconnect: still in Composio, but no account is usable (expired, failed, disabled there).
 */
export interface SyncSummary {
  added: string[];
  removed: string[];
  unchanged: string[];
  needsReconnect: { slug: string; label: string }[];
}

export interface SyncDeps {
  db: Database;
  composio: ComposioGateway | null;
  logger: Logger;
}

export const composioUserIdChanged = () =>
  new HttpError(
    409,
    "The team's Composio user id changed while Switchboard was talking to Composio. Nothing was changed: try again.",
    'composio_user_id_changed',
  );

/** One connection a sync would take away: the assistant, and the integration and account it would lose. */
export interface LosingAssistant {
  id: number;
  name: string;
  integration: string;
  account: string | null;
}

/** What a person confirms before a sync is applied: it would remove every connection, or take some from assistants. */
export interface SyncLosses {
  removesEverything: boolean;
  /** The first few, by assistant name. */
  assistants: LosingAssistant[];
  /** Connections taken from assistants, in all. */
  total: number;
}

const REMOVES_EVERYTHING =
  'Composio lists no accounts for this team, so this sync would remove every connection. That happens when the accounts were connected under another Composio user id, or were deleted in Composio.';

/** "Research Bot loses Gmail (ops@example.com), Support Bot loses Slack and 3 more". */
export function describeLosses(losses: Pick<SyncLosses, 'assistants' | 'total'>): string {
  const named = losses.assistants.slice(0, 3).map((a) => `${a.name} loses ${a.integration}${a.account ? ` (${a.account})` : ''}`);
  const more = losses.total - named.length;
  if (more > 0) named.push(`${more} more`);
  return named.length <= 1 ? named.join('') : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
}

/** A sync that would take connections away waits for a person: JSON clients get the list in the 409. */
export class SyncNeedsConfirmation extends HttpError {
  constructor(readonly losses: SyncLosses) {
    super(
      409,
      losses.removesEverything
        ? `${REMOVES_EVERYTHING} Nothing was changed: confirm to remove them all.`
        : `Composio no longer lists accounts that assistants use, so this sync would take ${plural(losses.total, 'connection')} away from assistants: ${describeLosses(losses)}. Nothing was changed: confirm to sync anyway.`,
      'confirmation_required',
      { removesEverything: losses.removesEverything, assistantConnectionsLost: losses.total, assistants: losses.assistants },
    );
  }
}

/** Why the background sync left a listing unapplied, shown on the team page until a person syncs. */
export function pausedReason(losses: SyncLosses): string {
  return losses.removesEverything
    ? 'Composio listed no accounts for this team, so the automatic sync would have removed every connection.'
    : `Composio no longer lists accounts that assistants use: the automatic sync would have taken ${plural(losses.total, 'connection')} away from assistants (${describeLosses(losses)}).`;
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
export async function syncTeam(deps: SyncDeps, userId: number, teamId: number, confirmed = false): Promise<SyncSummary> {
  const { team, accounts } = await listTeamAccounts(deps, userId, teamId);
  return deps.db.withUser(userId, async (tx) => {
    await loadSyncingTeam(tx, teamId);
    return applySync(tx, deps.logger, team, accounts, 'manual', confirmed);
  });
}

/**
 * The apply step, shared with the background sync: under the team's lock, in the caller's
 * transaction. Every statement names the team, so it is also safe as the table owner. Unless
 * confirmed, a listing that would take connections away from assistants (or remove every
 * connection) changes nothing and throws SyncNeedsConfirmation.
 */
export async function applySync(
  tx: Tx,
  logger: Logger,
  team: Pick<TeamContext, 'id' | 'composioUserId'>,
  accounts: ComposioAccount[],
  kind: 'manual' | 'automatic',
  confirmed = false,
): Promise<SyncSummary> {
  await lockTeamSync(tx, team.id);
  if ((await findTeamComposioUserId(tx, team.id)).composio_user_id !== team.composioUserId) throw composioUserIdChanged();
  const plan = await planSync(tx, logger, team, accounts);
  if (!confirmed) {
    const losses = await findLosses(tx, team.id, plan);
    if (losses) throw new SyncNeedsConfirmation(losses);
  }

  // Only what Composio changed is written: a sync of unchanged accounts writes no account row.
  if (plan.changed.length > 0) await upsertAccounts(tx, team.id, plan.changed);
  if (plan.vanished.length > 0) await markVanished(tx, team.id, plan.vanished);
  await touchTeamSyncedAt(tx, team.id, kind);
  await recordAudit(tx, {
    teamId: team.id,
    action: 'composio.synced',
    target: 'Composio',
    details: { ...plan.summary, needsReconnect: plan.summary.needsReconnect.map((p) => p.slug), accounts: plan.rows.size, kind },
  });
  return plan.summary;
}

/**
 * What a sync would take away, for the confirmation page: Composio is asked as for a sync, and
 * nothing is written. Null when the sync needs no confirmation (any more).
 */
export async function previewSyncLosses(
  deps: SyncDeps,
  userId: number,
  teamId: number,
): Promise<{ team: TeamContext; losses: SyncLosses | null }> {
  const { team, accounts } = await listTeamAccounts(deps, userId, teamId);
  const losses = await deps.db.withUser(userId, async (tx) => findLosses(tx, team.id, await planSync(tx, deps.logger, team, accounts)));
  return { team, losses };
}

interface SyncPlan {
  /** The listed accounts by Composio account id, as rows. */
  rows: Map<string, AccountUpsert & { slug: string }>;
  /** The listed accounts whose row is new or differs from what Composio says now: the rows to upsert. */
  changed: AccountUpsert[];
  /** Composio account ids of the team's present accounts that Composio no longer lists. */
  vanished: string[];
  summary: SyncSummary;
  /** The team had connections and Composio lists none (revoked ones aside). */
  removesEverything: boolean;
}

async function planSync(tx: Tx, logger: Logger, team: Pick<TeamContext, 'id'>, accounts: ComposioAccount[]): Promise<SyncPlan> {
  const providers = await listOAuth2Integrations(tx);
  const integrationByToolkit = new Map(providers.flatMap((p) => p.composio_toolkits.map((toolkit) => [toolkit, p] as const)));
  const known = await listKnownAccounts(tx, team.id);
  const revoked = new Set(known.filter((k) => k.revoked).map((k) => k.composio_account_id));

  const rows = new Map<string, AccountUpsert & { slug: string }>();
  for (const account of accounts) {
    const provider = integrationByToolkit.get(account.toolkitSlug);
    if (!provider) {
      logger.warn(
        { toolkit: account.toolkitSlug, accountId: account.id, teamId: team.id },
        'Composio account of an unknown toolkit skipped',
      );
      continue;
    }
    const previous = rows.get(account.id);
    if (previous && previous.updatedAt >= account.updatedAt) continue; // the same account listed twice: most recent wins
    rows.set(account.id, { ...toRow(account, provider.id), slug: provider.slug });
  }

  // Read under the team's sync lock, in this transaction: what the sync writes is decided here.
  const knownById = new Map(known.map((k) => [k.composio_account_id, k]));
  const changed = [...rows.values()].filter((row) => !storedAsListed(knownById.get(row.accountId), row));
  const vanished = known.filter((k) => k.present && !rows.has(k.composio_account_id)).map((k) => k.composio_account_id);

  const presentBefore = new Set(known.filter((k) => k.present).map((k) => k.slug));
  const usableBefore = new Set(known.filter((k) => k.usable).map((k) => k.slug));
  const listed = [...rows.values()].filter((r) => !revoked.has(r.accountId));
  const presentAfter = new Set(listed.map((r) => r.slug));
  const usableAfter = new Set(listed.filter((r) => r.status === 'ACTIVE' && !r.disabled).map((r) => r.slug));
  const labels = new Map(providers.map((p) => [p.slug, p.label]));
  return {
    rows,
    changed,
    vanished,
    removesEverything: presentBefore.size > 0 && listed.length === 0,
    summary: {
      added: [...usableAfter].filter((slug) => !usableBefore.has(slug)).sort(),
      removed: [...presentBefore].filter((slug) => !presentAfter.has(slug)).sort(),
      unchanged: [...usableAfter].filter((slug) => usableBefore.has(slug)).sort(),
      needsReconnect: [...presentAfter]
        .filter((slug) => !usableAfter.has(slug))
        .sort()
        .map((slug) => ({ slug, label: labels.get(slug) ?? slug })),
    },
  };
}

/**
 * The row already says what Composio lists (upsertAccounts' comparison, made here so unchanged rows
 * are not sent at all): the same columns, and not marked gone.
 */
function storedAsListed(stored: KnownAccount | undefined, listed: AccountUpsert): boolean {
  return (
    stored !== undefined &&
    !stored.disconnected &&
    stored.integration_id === listed.integrationId &&
    stored.composio_toolkit === listed.toolkit &&
    stored.account_identity === listed.identity &&
    stored.composio_status === listed.status &&
    stored.composio_status_reason === listed.statusReason &&
    stored.composio_disabled === listed.disabled &&
    stored.connected_ms === listed.connectedAt.getTime() &&
    stored.updated_ms === listed.updatedAt.getTime()
  );
}

/** Null when nothing needs confirming; an account that only changed status is not taken away by the sync. */
async function findLosses(tx: Tx, teamId: number, plan: SyncPlan): Promise<SyncLosses | null> {
  const losing = plan.vanished.length > 0 ? await listAssistantsLosingAccounts(tx, teamId, plan.vanished) : [];
  if (!plan.removesEverything && losing.length === 0) return null;
  return {
    removesEverything: plan.removesEverything,
    assistants: losing.map((r) => ({
      id: r.assistant_id,
      name: r.assistant_name,
      integration: r.integration_label,
      account: r.account_identity,
    })),
    total: losing[0]?.total ?? 0,
  };
}

/** The first step of a sync or its preview: the user may sync the team, and Composio lists its accounts (no transaction held meanwhile). */
async function listTeamAccounts(
  deps: SyncDeps,
  userId: number,
  teamId: number,
): Promise<{ team: TeamContext; accounts: ComposioAccount[] }> {
  const team = await deps.db.withUser(userId, (tx) => loadSyncingTeam(tx, teamId));
  if (!deps.composio) throw notConfigured();
  // Only ever the team's own Composio user id: no other team can have it (a unique constraint).
  return { team, accounts: await deps.composio.listAccounts(team.composioUserId) };
}

async function loadSyncingTeam(tx: Tx, teamId: number): Promise<TeamContext> {
  const team = await loadTeam(tx, teamId);
  requireAdmin(team, 'sync connections from Composio');
  return team;
}

export function toRow(account: ComposioAccount, integrationId: number): AccountUpsert {
  return {
    integrationId,
    accountId: account.id,
    toolkit: account.toolkitSlug,
    identity: account.identity,
    status: account.status,
    statusReason: account.statusReason,
    disabled: account.isDisabled,
    connectedAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
}

/** "Synced: 1 added, 0 removed, 2 unchanged", and one sentence for integrations that need a reconnect. */
export function syncMessage(summary: SyncSummary): string {
  const counts = `Synced: ${summary.added.length} added, ${summary.removed.length} removed, ${summary.unchanged.length} unchanged`;
  const reconnect = summary.needsReconnect.map((p) => p.label);
  if (reconnect.length === 0) return counts;
  const names = reconnect.length === 1 ? reconnect[0] : `${reconnect.slice(0, -1).join(', ')} and ${reconnect.at(-1)}`;
  return `${counts}. ${names} ${reconnect.length === 1 ? 'needs' : 'need'} a reconnect in Composio: no account is active.`;
}

/** The JSON answer dashboards read: integration slugs per outcome. */
export function syncJson(summary: SyncSummary) {
  return { success: true, added: summary.added, removed: summary.removed, unchanged: summary.unchanged };
}
