import type { Tx } from '../db';

/** Namespace of the per-team advisory lock that keeps two syncs of one team apart. */
const SYNC_LOCK_NAMESPACE = 7_240_001;

/** Waits for any other sync of this team to commit; held until this transaction ends. */
export function lockTeamSync(tx: Tx, teamId: number) {
  return tx.query('SELECT pg_advisory_xact_lock($1, $2)', [SYNC_LOCK_NAMESPACE, teamId]);
}

export function listOAuth2Integrations(tx: Tx) {
  return tx.query<{ id: number; slug: string; label: string; composio_toolkits: string[] }>(
    'SELECT id, slug, label, composio_toolkits FROM integrations WHERE cardinality(composio_toolkits) > 0',
  );
}

/** The Composio user id the team owns right now: a sync or revoke that started under another one stops. */
export function findTeamComposioUserId(tx: Tx, teamId: number) {
  return tx.one<{ composio_user_id: string }>('SELECT composio_user_id FROM teams WHERE id = $1 FOR SHARE', [teamId]);
}

/**
 * Every account row of the team, with what a sync compares (upsertAccounts' columns), so a sync
 * writes only the rows Composio changed. Timestamps as epoch milliseconds: they were written from
 * JavaScript Dates, and a number per row is cheaper to read than a Date parsed from text.
 */
export function listKnownAccounts(tx: Tx, teamId: number) {
  return tx.query<KnownAccount>(
    `SELECT o.composio_account_id, i.slug,
            (o.revoked_at IS NULL AND o.disconnected_at IS NULL) AS present,
            (o.revoked_at IS NULL AND o.disconnected_at IS NULL AND o.composio_status = 'ACTIVE' AND NOT o.composio_disabled) AS usable,
            o.revoked_at IS NOT NULL AS revoked,
            o.disconnected_at IS NOT NULL AS disconnected,
            o.integration_id, o.composio_toolkit, o.account_identity, o.composio_status, o.composio_status_reason,
            o.composio_disabled,
            (extract(epoch FROM o.connected_at) * 1000)::float8 AS connected_ms,
            (extract(epoch FROM o.composio_updated_at) * 1000)::float8 AS updated_ms
       FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id
      WHERE o.team_id = $1`,
    [teamId],
  );
}

export type KnownAccount = {
  composio_account_id: string;
  slug: string;
  /** Still in Composio and not revoked here. */
  present: boolean;
  /** Present, ACTIVE and not disabled in Composio. */
  usable: boolean;
  revoked: boolean;
  disconnected: boolean;
  integration_id: number;
  composio_toolkit: string;
  account_identity: string | null;
  composio_status: string;
  composio_status_reason: string | null;
  composio_disabled: boolean;
  connected_ms: number;
  updated_ms: number;
};

/** The accounts of one integration that were synced into this team and are neither gone nor revoked. */
export function listPresentAccounts(tx: Tx, teamId: number, integrationId: number) {
  return tx.query<{ id: number; composio_account_id: string }>(
    `SELECT id, composio_account_id FROM oauth2_connections
      WHERE team_id = $1 AND integration_id = $2 AND revoked_at IS NULL AND disconnected_at IS NULL
      ORDER BY id`,
    [teamId, integrationId],
  );
}

/** Exactly the accounts Composio confirmed revoked; rows of other teams or integrations are never touched. */
export function markAccountsRevoked(tx: Tx, teamId: number, integrationId: number, accountIds: string[]) {
  return tx.query<{ id: number }>(
    `UPDATE oauth2_connections SET revoked_at = now()
      WHERE team_id = $1 AND integration_id = $2 AND revoked_at IS NULL AND composio_account_id = ANY ($3::text[])
      RETURNING id`,
    [teamId, integrationId, accountIds],
  );
}

export interface AccountUpsert {
  integrationId: number;
  accountId: string;
  toolkit: string;
  identity: string | null;
  status: string;
  statusReason: string | null;
  disabled: boolean;
  connectedAt: Date;
  updatedAt: Date;
}

/**
 * The accounts of one sync that are new or changed, in one statement (the sync leaves out those its
 * rows already match: docs/decisions/028-sync-writes-what-changed.md). A new account of an
 * integration an admin disabled here starts disabled too; an existing row keeps its enabled flag
 * (sync never changes it). A row whose Composio state is unchanged is not written at all (no new
 * row version, no index update); its last_synced_at then stays at the last change, and the team's
 * last_synced_at says when it was last synced.
 */
export function upsertAccounts(tx: Tx, teamId: number, accounts: AccountUpsert[]) {
  return tx.query(
    `INSERT INTO oauth2_connections AS o (team_id, integration_id, composio_account_id, composio_toolkit, account_identity,
                                         composio_status, composio_disabled, enabled, connected_at, composio_updated_at, last_synced_at,
                                         composio_status_reason)
     SELECT $1, a.integration_id, a.account_id, a.toolkit, a.identity, a.status, a.disabled,
            NOT EXISTS (SELECT 1 FROM oauth2_connections d
                         WHERE d.team_id = $1 AND d.integration_id = a.integration_id AND NOT d.enabled
                           AND d.revoked_at IS NULL AND d.disconnected_at IS NULL),
            a.connected_at, a.updated_at, now(), a.status_reason
       FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::timestamptz[], $9::timestamptz[], $10::text[])
            AS a(integration_id, account_id, toolkit, identity, status, disabled, connected_at, updated_at, status_reason)
     ON CONFLICT (team_id, composio_account_id) DO UPDATE SET
       integration_id = EXCLUDED.integration_id, composio_toolkit = EXCLUDED.composio_toolkit,
       account_identity = EXCLUDED.account_identity, composio_status = EXCLUDED.composio_status,
       composio_disabled = EXCLUDED.composio_disabled, connected_at = EXCLUDED.connected_at,
       composio_updated_at = EXCLUDED.composio_updated_at, last_synced_at = now(), disconnected_at = NULL,
       composio_status_reason = EXCLUDED.composio_status_reason
     WHERE (o.integration_id, o.composio_toolkit, o.account_identity, o.composio_status, o.composio_disabled,
            o.connected_at, o.composio_updated_at, o.disconnected_at, o.composio_status_reason)
           IS DISTINCT FROM
           (EXCLUDED.integration_id, EXCLUDED.composio_toolkit, EXCLUDED.account_identity, EXCLUDED.composio_status,
            EXCLUDED.composio_disabled, EXCLUDED.connected_at, EXCLUDED.composio_updated_at, NULL::timestamptz,
            EXCLUDED.composio_status_reason)`,
    [
      teamId,
      accounts.map((a) => a.integrationId),
      accounts.map((a) => a.accountId),
      accounts.map((a) => a.toolkit),
      accounts.map((a) => a.identity),
      accounts.map((a) => a.status),
      accounts.map((a) => a.disabled),
      accounts.map((a) => a.connectedAt.toISOString()),
      accounts.map((a) => a.updatedAt.toISOString()),
      accounts.map((a) => a.statusReason),
    ],
  );
}

/**
 * Accounts that are gone from Composio stay as rows (assistants show "Connection lost"): the sync
 * names them, the present accounts of the team that Composio no longer lists.
 */
export function markVanished(tx: Tx, teamId: number, vanishedAccountIds: string[]) {
  return tx.query(
    `UPDATE oauth2_connections SET disconnected_at = now()
      WHERE team_id = $1 AND disconnected_at IS NULL AND revoked_at IS NULL AND composio_account_id = ANY ($2::text[])`,
    [teamId, vanishedAccountIds],
  );
}

/** An applied sync also ends a pause the background sync left (it was about what this sync just settled). */
export function touchTeamSyncedAt(tx: Tx, teamId: number, kind: 'manual' | 'automatic') {
  return tx.query('UPDATE teams SET last_synced_at = now(), last_sync_kind = $2, sync_paused_reason = NULL WHERE id = $1', [teamId, kind]);
}

/** The background sync could not apply a listing without asking someone: it says why, and changes nothing else. */
export function pauseTeamSync(tx: Tx, teamId: number, reason: string) {
  return tx.query('UPDATE teams SET sync_paused_reason = $2 WHERE id = $1', [teamId, reason]);
}

/** How many rows listAssistantsLosingAccounts shows; the total is counted beyond it. */
export const LOSING_SHOWN = 20;

/**
 * Assistants that use one of these accounts of this team (present now, but Composio no longer
 * lists them): applying the listing would leave them with "Connection lost". The first
 * LOSING_SHOWN by assistant name, and how many there are in all.
 */
export function listAssistantsLosingAccounts(tx: Tx, teamId: number, vanishedAccountIds: string[]) {
  return tx.query<{
    assistant_id: number;
    assistant_name: string;
    integration_label: string;
    account_identity: string | null;
    total: number;
  }>(
    `SELECT p.id AS assistant_id, p.name AS assistant_name, i.label AS integration_label, o.account_identity,
            count(*) OVER ()::int AS total
       FROM assistant_integrations pi
       JOIN oauth2_connections o ON o.id = pi.oauth2_connection_id AND o.team_id = pi.team_id
       JOIN assistants p ON p.id = pi.assistant_id AND p.team_id = pi.team_id
       JOIN integrations i ON i.id = pi.integration_id
      WHERE pi.team_id = $1 AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
        AND o.composio_account_id = ANY ($2::text[])
      ORDER BY p.name, p.id, i.label
      LIMIT $3`,
    [teamId, vanishedAccountIds, LOSING_SHOWN],
  );
}
