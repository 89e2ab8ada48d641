import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../crypto/digest';
import type { Database } from '../db';
import { recordAudit } from '../audit/queries';
import { findAssistant } from '../assistants/queries';
import { findTeamComposioUserId, lockTeamSync, upsertAccounts } from '../composio/queries';
import { composioUserIdChanged, notConfigured, toRow } from '../composio/sync';
import type { ComposioAuthConfig, ComposioGateway } from '../composio/types';
import { HttpError, notFound } from '../http/errors';
import { loadTeam, requireAdmin } from '../teams/context';
import { findOAuth2Integration } from '../connections/queries';
import { consumeConnectState, deleteExpiredConnectStates, findConnectionByAccount, insertConnectState } from './queries';

/** A Connect Link's state is good for ten minutes, once. */
export const STATE_TTL_SECONDS = 10 * 60;

export interface ConnectDeps {
  db: Database;
  composio: ComposioGateway | null;
}

export interface ConnectStart {
  userId: number;
  teamId: number;
  slug: string;
  sessionId: string;
  /** Set when started from an assistant's picker: the callback returns there. */
  assistantId: number | null;
  /** Our callback URL without the state, e.g. https://switchboard.example/app/team/3/connect/callback */
  callbackUrl: string;
}

const sha256 = sha256Hex;

/**
 * Starts a Connect (or Reconnect): checks the admin may, finds the integration's auth config in
 * Composio, asks Composio for a Connect Link for the team's own Composio user id, and keeps a
 * single-use state bound to this team, person and session together with the account id Composio
 * created. Composio is called with no transaction held. Returns where to send the person.
 */
export async function startConnect(deps: ConnectDeps, start: ConnectStart): Promise<{ redirectUrl: string; label: string }> {
  const { team, provider } = await deps.db.withUser(start.userId, async (tx) => {
    const team = await loadTeam(tx, start.teamId);
    requireAdmin(team, 'connect accounts');
    const provider = await findOAuth2Integration(tx, start.slug);
    if (!provider) throw notFound('That integration');
    if (start.assistantId !== null && !(await findAssistant(tx, team.id, start.assistantId))) throw notFound('That assistant');
    return { team, provider };
  });
  if (!deps.composio) throw notConfigured();

  const authConfig = await findAuthConfig(deps.composio, provider.composio_toolkits);
  if (!authConfig) {
    throw new HttpError(
      409,
      `Composio has no OAuth2 auth config for ${provider.label} yet, so Switchboard cannot start a connection. ` +
        `In the Composio dashboard, open Auth configs, create one for ${provider.label} (OAuth2, Composio managed is fine), then press Connect again.`,
      'no_auth_config',
    );
  }

  const state = randomBytes(32).toString('base64url');
  const callback = new URL(start.callbackUrl);
  callback.searchParams.set('state', state);
  const link = await deps.composio.createConnectLink(team.composioUserId, authConfig.id, callback.toString());

  await deps.db.withUser(start.userId, async (tx) => {
    await deleteExpiredConnectStates(tx, team.id);
    await insertConnectState(tx, {
      stateHash: sha256(state),
      teamId: team.id,
      sessionHash: sha256(start.sessionId),
      integrationId: provider.id,
      accountId: link.accountId,
      assistantId: start.assistantId,
      ttlSeconds: STATE_TTL_SECONDS,
    });
  });
  return { redirectUrl: link.redirectUrl, label: provider.label };
}

/** The first enabled OAuth2 auth config of the integration's toolkits, Composio-managed ones first. */
async function findAuthConfig(composio: ComposioGateway, toolkits: string[]): Promise<ComposioAuthConfig | null> {
  for (const toolkit of toolkits) {
    const usable = (await composio.listAuthConfigs(toolkit)).filter(
      (c) => c.enabled && (c.authScheme ?? 'OAUTH2').toUpperCase().includes('OAUTH'),
    );
    const best = usable.find((c) => c.composioManaged) ?? usable[0];
    if (best) return best;
  }
  return null;
}

export interface ConnectOutcome {
  kind: 'success' | 'error';
  message: string;
  /** The connection now in Switchboard, when the account is ACTIVE. */
  connectionId: number | null;
  integrationId: number;
  /** The provider's slug: the team page's row (#provider-<slug>) the answer lands on. */
  slug: string;
  assistantId: number | null;
}

/**
 * The callback: uses the state once (only this team, person and session, before it expires), then
 * reads the account Composio created for that link and trusts its status, never the callback's
 * query. An ACTIVE account is synced into the team at once, under the team's sync lock.
 */
export async function finishConnect(
  deps: ConnectDeps,
  finish: { userId: number; teamId: number; state: string; sessionId: string },
): Promise<ConnectOutcome> {
  const { team, link } = await deps.db.withUser(finish.userId, async (tx) => {
    const team = await loadTeam(tx, finish.teamId);
    requireAdmin(team, 'connect accounts');
    const link = await consumeConnectState(tx, sha256(finish.state), team.id, sha256(finish.sessionId));
    if (!link) {
      throw new HttpError(
        400,
        'This connection link is not valid here: it was already used, is older than 10 minutes, or was started by someone else or in another team. Nothing was changed. Press Connect again.',
        'invalid_connect_state',
      );
    }
    return { team, link };
  });
  if (!deps.composio) throw notConfigured();

  const account = await deps.composio.getAccount(link.composio_account_id);
  const base = { integrationId: link.integration_id, slug: link.slug, assistantId: link.assistant_id, connectionId: null };
  if (account.userId !== null && account.userId !== team.composioUserId) {
    return {
      ...base,
      kind: 'error',
      message: `${link.label} was not connected: Composio filed the account under another user id. Nothing was changed.`,
    };
  }
  if (!link.composio_toolkits.includes(account.toolkitSlug)) {
    return {
      ...base,
      kind: 'error',
      message: `${link.label} was not connected: Composio connected a ${account.toolkitSlug} account instead. Nothing was changed.`,
    };
  }
  if (account.status === 'INITIATED' || account.status === 'INITIALIZING') {
    return {
      ...base,
      kind: 'error',
      message: `${link.label} is not connected yet: the sign-in was not finished. Nothing was changed; press Connect to try again.`,
    };
  }
  if (account.status !== 'ACTIVE') {
    const reason = account.statusReason ? ` (${account.statusReason.replace(/[.!?]$/, '')})` : '';
    return {
      ...base,
      kind: 'error',
      message: `${link.label} was not connected: Composio reports it ${account.status.toLowerCase()}${reason}. Nothing was changed; press Connect to try again.`,
    };
  }

  const connectionId = await deps.db.withUser(finish.userId, async (tx) => {
    await loadTeam(tx, team.id);
    await lockTeamSync(tx, team.id);
    if ((await findTeamComposioUserId(tx, team.id)).composio_user_id !== team.composioUserId) throw composioUserIdChanged();
    await upsertAccounts(tx, team.id, [toRow(account, link.integration_id)]);
    const { id } = await findConnectionByAccount(tx, team.id, account.id);
    await recordAudit(tx, {
      teamId: team.id,
      action: 'connection.connected',
      target: link.label,
      details: { provider: link.slug, account: account.identity, composioAccountId: account.id },
    });
    return id;
  });
  const who = account.identity ? ` (${account.identity})` : '';
  return { ...base, kind: 'success', connectionId, message: `Connected ${link.label}${who}.` };
}
