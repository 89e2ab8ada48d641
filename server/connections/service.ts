import type { Tx } from '../db';
import { readTogether } from '../db/together';
import { listRecentAudit, recordAudit } from '../audit/queries';
import { encryptSecret, secretHint } from '../crypto/secrets';
import { HttpError, notFound } from '../http/errors';
import { requireAdmin, type TeamContext, type TeamRef } from '../teams/context';
import {
  deleteApiKey,
  findApiKey,
  findApiKeyIntegration,
  findOAuth2Integration,
  insertApiKey,
  listApiKeyIntegrationsWithKeys,
  listApiKeysPage,
  listAssistantsUsingIntegration,
  listTeamIntegrations,
  setIntegrationEnabled,
  type TeamIntegrationRow,
} from './queries';

export type TeamIntegrationStatus = 'connected' | 'disabled' | 'not_connected' | 'needs_reconnect';

export interface TeamIntegrationView {
  provider: string;
  label: string;
  icon: string;
  required: boolean;
  category: string;
  description: string;
  whyNeeded: string;
  connectSteps: string[];
  /** Also takes API keys (the team page's add-key form), e.g. GitHub. */
  takesApiKeys: boolean;
  connected: boolean;
  enabled: boolean;
  status: TeamIntegrationStatus;
  accountEmail: string | null;
  /** The account named for people: its identity, or "Gmail account ending …a1b2". */
  accountLabel: string | null;
  /** The one account the using assistants share, if they share one. */
  usedAccountId: number | null;
  connectedAt: Date | null;
  lastSyncedAt: Date | null;
  usedBy: number;
}

/**
 * Not connected: no account in Composio. Needs reconnect: accounts, but none usable (EXPIRED,
 * FAILED, INACTIVE, INITIATED, disabled in Composio). Otherwise connected, or disabled here.
 */
export function toTeamIntegrationView(row: TeamIntegrationRow): TeamIntegrationView {
  const connected = row.accounts > 0 && row.best_usable === true;
  const status: TeamIntegrationStatus =
    row.accounts === 0 ? 'not_connected' : !connected ? 'needs_reconnect' : row.enabled ? 'connected' : 'disabled';
  return {
    provider: row.slug,
    label: row.label,
    icon: row.icon,
    required: row.required,
    category: row.category,
    description: row.description,
    whyNeeded: row.why_needed,
    connectSteps: row.connect_steps,
    takesApiKeys: row.auth === 'api_key_or_oauth2',
    connected,
    enabled: row.enabled,
    status,
    accountEmail: row.identity,
    accountLabel: row.account_label,
    usedAccountId: row.used_account_id,
    connectedAt: row.connected_at,
    // An integration with no account was never synced in: "synced <date>" would be the team's last sync.
    lastSyncedAt: row.accounts > 0 ? row.last_synced_at : null,
    usedBy: row.used_by,
  };
}

/** The dashboard design's shape for the team's integrations. */
export function teamIntegrationsJson(team: TeamContext, providers: TeamIntegrationView[], configured: boolean) {
  return {
    configured,
    lastSyncedAt: team.lastSyncedAt,
    providers: providers.map((p) => ({
      provider: p.provider,
      label: p.label,
      icon: p.icon,
      required: p.required,
      category: p.category,
      description: p.description,
      connected: p.connected,
      enabled: p.enabled,
      status: p.status,
      accountEmail: p.accountEmail,
      usedBy: p.usedBy,
    })),
  };
}

export async function loadTeamIntegrations(tx: Tx, team: TeamRef): Promise<TeamIntegrationView[]> {
  return (await listTeamIntegrations(tx, team.id)).map(toTeamIntegrationView);
}

/** The team integrations page: its three reads (integrations, API keys, activity) in one statement, however large the team. */
export async function loadConnectionsPage(tx: Tx, team: TeamRef) {
  const [providers, apiKeyIntegrations, activity] = await readTogether(tx, (batch) => [
    loadTeamIntegrations(batch, team),
    listApiKeyIntegrationsWithKeys(batch, team.id),
    listRecentAudit(batch, team.id, 20),
  ]);
  return { providers, apiKeyIntegrations, activity };
}

export async function loadTeamIntegration(tx: Tx, team: TeamContext, slug: string): Promise<TeamIntegrationView> {
  const provider = (await loadTeamIntegrations(tx, team)).find((p) => p.provider === slug);
  if (!provider) throw notFound('That integration');
  return provider;
}

/** The disable confirmation page: the integration and the names of the assistants that would lose it. */
export async function loadDisableConfirmation(tx: Tx, team: TeamContext, slug: string) {
  requireAdmin(team, 'enable or disable connections');
  const provider = await loadTeamIntegration(tx, team, slug);
  const integration = await findOAuth2Integration(tx, slug);
  const assistants = (await listAssistantsUsingIntegration(tx, team.id, integration!.id)).map((a) => a.name);
  return { provider, assistants };
}

/**
 * Local only: Composio is not told. Assistants using a disabled integration show "Connection lost",
 * so disabling one that assistants use needs `confirmed` (409 confirmation_required otherwise).
 */
export async function toggleIntegration(tx: Tx, team: TeamContext, slug: string, enabled: boolean, confirmed = false): Promise<string> {
  requireAdmin(team, 'enable or disable connections');
  const provider = await findOAuth2Integration(tx, slug);
  if (!provider) throw notFound('That integration');
  if (!enabled && !confirmed) {
    const assistants = (await listAssistantsUsingIntegration(tx, team.id, provider.id)).map((a) => a.name);
    if (assistants.length > 0) throw disableNeedsConfirmation(provider.label, assistants);
  }
  const changed = await setIntegrationEnabled(tx, team.id, provider.id, enabled);
  if (changed.length === 0)
    throw new HttpError(
      409,
      `${provider.label} is not connected, so there is nothing to ${enabled ? 'enable' : 'disable'}.`,
      'not_connected',
    );
  await recordAudit(tx, {
    teamId: team.id,
    action: enabled ? 'connection.enabled' : 'connection.disabled',
    target: provider.label,
    details: { provider: slug },
  });
  return enabled
    ? `Enabled ${provider.label} for ${team.name}.`
    : `Disabled ${provider.label} for ${team.name}. Assistants that use it show "Connection lost" until it is enabled again.`;
}

export const disableNeedsConfirmation = (label: string, assistants: string[]) =>
  new HttpError(
    409,
    `Disabling ${label} takes it away from ${assistants.length === 1 ? 'one assistant' : `${assistants.length} assistants`}: ${assistants.join(', ')}. Confirm to disable it.`,
    'confirmation_required',
    { assistants },
  );

/** Adds an API key; says which key of which integration it is, for the way back to an assistant's picker. */
export async function addApiKey(tx: Tx, team: TeamContext, slug: string, form: { label: string; key: string }, encryptionKey: Buffer) {
  requireAdmin(team, 'add API keys');
  const integration = await findApiKeyIntegration(tx, slug);
  if (!integration) throw notFound('That integration');
  const { id } = await insertApiKey(tx, {
    teamId: team.id,
    integrationId: integration.id,
    label: form.label,
    encrypted: encryptSecret(encryptionKey, form.key),
    hint: secretHint(form.key),
  });
  await recordAudit(tx, { teamId: team.id, action: 'api_key.added', target: `${form.label} (${integration.label})` });
  return { keyId: id, integrationId: integration.id, message: `Added the API key "${form.label}" for ${integration.label}.` };
}

export const API_KEYS_PER_PAGE = 50;

/** All of one integration's API keys, a page at a time: the team page shows only the first few. */
export async function loadApiKeysPage(tx: Tx, slug: string, team: TeamContext, page: number) {
  const integration = await findApiKeyIntegration(tx, slug);
  if (!integration) throw notFound('That integration');
  const { total, keys } = await listApiKeysPage(tx, team.id, integration.id, {
    limit: API_KEYS_PER_PAGE,
    offset: (page - 1) * API_KEYS_PER_PAGE,
  });
  return { integration: { ...integration, slug }, total, keys, page, pages: Math.max(1, Math.ceil(total / API_KEYS_PER_PAGE)) };
}

export async function loadApiKey(tx: Tx, team: TeamContext, keyId: number) {
  requireAdmin(team, 'delete API keys');
  const key = await findApiKey(tx, team.id, keyId);
  if (!key) throw notFound('That API key');
  return key;
}

/** Deletes one API key; says which, and of which integration (its slug) for the page to return to. */
export async function removeApiKey(tx: Tx, team: TeamContext, keyId: number): Promise<{ message: string; integration: string }> {
  const key = await loadApiKey(tx, team, keyId);
  const deleted = await deleteApiKey(tx, team.id, keyId);
  if (!deleted) throw notFound('That API key');
  await recordAudit(tx, { teamId: team.id, action: 'api_key.removed', target: `${key.label} (${key.integration_label})` });
  return { message: `Deleted the API key "${key.label}" for ${key.integration_label}.`, integration: key.integration_slug };
}
