import type { Tx } from '../db';
import { OAUTH2_LABEL } from '../composio/account-label';

export interface TeamIntegrationRow {
  integration_id: number;
  slug: string;
  label: string;
  icon: string;
  category: string;
  description: string;
  why_needed: string;
  required: boolean;
  connect_steps: string[];
  /** oauth2, or api_key_or_oauth2 for an integration that also takes API keys. */
  auth: string;
  composio_toolkits: string[];
  /** Accounts still present in Composio and not revoked. */
  accounts: number;
  /** The most recent usable account (ACTIVE, not disabled in Composio), else the most recent account. */
  best_status: string | null;
  /** The account every using assistant shares, when it is one: "used by" then links to them. */
  used_account_id: number | null;
  best_usable: boolean | null;
  identity: string | null;
  /** How the best account is named on screens: its identity, else the end of its Composio id. */
  account_label: string | null;
  connected_at: Date | null;
  last_synced_at: Date | null;
  /** False when an admin disabled the integration here. */
  enabled: boolean;
  used_by: number;
}

/**
 * Every Composio integration with the team's state for it: one statement. Per integration, the count and
 * the best account come from oauth2_connections_present_idx, and used_by is one grouped pass over
 * the team's assistant rows (migrations/1764300000000_page-indexes.sql).
 */
export function listTeamIntegrations(tx: Tx, teamId: number) {
  return tx.query<TeamIntegrationRow & Record<string, unknown>>(
    `WITH used AS (
       -- One row per assistant and integration (UNIQUE (assistant_id, integration_id)): this counts assistants.
       SELECT pi.integration_id, count(*) AS used_by,
              CASE WHEN min(pi.oauth2_connection_id) = max(pi.oauth2_connection_id) THEN min(pi.oauth2_connection_id) END AS used_account_id
         FROM assistant_integrations pi
        WHERE pi.team_id = $1 AND pi.oauth2_connection_id IS NOT NULL
        GROUP BY pi.integration_id
     )
     SELECT i.id AS integration_id, i.slug, i.label, i.icon, i.category, i.description, i.why_needed, i.required,
            i.connect_steps, i.auth, i.composio_toolkits,
            coalesce(s.accounts, 0)::int AS accounts,
            b.composio_status AS best_status, b.usable AS best_usable, b.account_identity AS identity, b.account_label,
            b.connected_at,
            -- A sync skips unchanged rows; every account still present was seen by the team's last sync.
            greatest(b.last_synced_at, (SELECT t.last_synced_at FROM teams t WHERE t.id = $1)) AS last_synced_at,
            coalesce(s.enabled, true) AS enabled,
            coalesce(u.used_by, 0)::int AS used_by, u.used_account_id
       FROM integrations i
       LEFT JOIN LATERAL (
         SELECT count(*) AS accounts, bool_and(o.enabled) AS enabled
           FROM oauth2_connections o
          WHERE o.team_id = $1 AND o.integration_id = i.id AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
       ) s ON true
       LEFT JOIN LATERAL (
         SELECT o.composio_status, o.account_identity, ${OAUTH2_LABEL} AS account_label, o.connected_at, o.last_synced_at,
                (o.composio_status = 'ACTIVE' AND NOT o.composio_disabled) AS usable
           FROM oauth2_connections o
          WHERE o.team_id = $1 AND o.integration_id = i.id AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
          ORDER BY (o.composio_status = 'ACTIVE' AND NOT o.composio_disabled) DESC, o.composio_updated_at DESC, o.id DESC
          LIMIT 1
       ) b ON true
       LEFT JOIN used u ON u.integration_id = i.id
      WHERE cardinality(i.composio_toolkits) > 0
      ORDER BY i.category_position, i.position, i.id`,
    [teamId],
    { timestamps: ['connected_at', 'last_synced_at'] },
  );
}

/** Names of the team's assistants that use one of the integration's accounts, by name. */
export function listAssistantsUsingIntegration(tx: Tx, teamId: number, integrationId: number) {
  return tx.query<{ name: string }>(
    `SELECT p.name
       FROM assistant_integrations pi JOIN assistants p ON p.id = pi.assistant_id AND p.team_id = pi.team_id
      WHERE pi.team_id = $1 AND pi.integration_id = $2 AND pi.oauth2_connection_id IS NOT NULL
      ORDER BY p.name, p.id`,
    [teamId, integrationId],
  );
}

/** An integration that connects through an OAuth2 account in Composio (toggle, revoke, Connect). */
export function findOAuth2Integration(tx: Tx, slug: string) {
  return tx.maybeOne<{ id: number; slug: string; label: string; composio_toolkits: string[] }>(
    `SELECT id, slug, label, composio_toolkits FROM integrations
      WHERE slug = $1 AND auth IN ('oauth2', 'api_key_or_oauth2') AND cardinality(composio_toolkits) > 0`,
    [slug],
  );
}

export function setIntegrationEnabled(tx: Tx, teamId: number, integrationId: number, enabled: boolean) {
  return tx.query<{ id: number }>(
    `UPDATE oauth2_connections SET enabled = $3
      WHERE team_id = $1 AND integration_id = $2 AND revoked_at IS NULL AND disconnected_at IS NULL
      RETURNING id`,
    [teamId, integrationId, enabled],
  );
}

/** The integration's accounts that are still there, locked so a concurrent revoke or sync waits. */
export interface ApiKeyRow {
  id: number;
  integration_id: number;
  label: string;
  secret_hint: string;
  created_at: Date;
  created_by_email: string | null;
  used_by: number;
}

/** How many keys of each integration the team page shows; the rest are one "Show all" away. */
export const API_KEYS_SHOWN = 10;

const API_KEY_COLUMNS = `a.id, a.integration_id, a.label, a.secret_hint, a.created_at, u.email AS created_by_email,
  (SELECT count(*)::int FROM assistant_integrations pi WHERE pi.api_connection_id = a.id) AS used_by`;

/**
 * Each integration that takes API keys, with its first keys in label order and how many it has:
 * one statement, however many keys the team has (api_key_connections_label_idx).
 */
export function listApiKeyIntegrationsWithKeys(tx: Tx, teamId: number) {
  return tx.query<{
    integration_id: number;
    slug: string;
    label: string;
    icon: string;
    category: string;
    description: string;
    key_count: number;
    keys: ApiKeyRow[];
  }>(
    `SELECT i.id AS integration_id, i.slug, i.label, i.icon, i.category, i.description,
            (SELECT count(*)::int FROM api_key_connections a WHERE a.team_id = $1 AND a.integration_id = i.id) AS key_count,
            coalesce((SELECT json_agg(k) FROM (
                        SELECT ${API_KEY_COLUMNS}
                          FROM api_key_connections a LEFT JOIN users u ON u.id = a.created_by
                         WHERE a.team_id = $1 AND a.integration_id = i.id
                         ORDER BY lower(a.label), a.id
                         LIMIT $2) k), '[]') AS keys
       FROM integrations i
      WHERE i.auth IN ('api_key', 'api_key_or_oauth2')
      ORDER BY i.category_position, i.position, i.id`,
    [teamId, API_KEYS_SHOWN],
  );
}

/** One page of one integration's keys in label order, and how many it has in all: one statement. */
export function listApiKeysPage(tx: Tx, teamId: number, integrationId: number, page: { limit: number; offset: number }) {
  return tx.one<{ total: number; keys: ApiKeyRow[] }>(
    `SELECT (SELECT count(*)::int FROM api_key_connections a WHERE a.team_id = $1 AND a.integration_id = $2) AS total,
            coalesce((SELECT json_agg(k) FROM (
                        SELECT ${API_KEY_COLUMNS}
                          FROM api_key_connections a LEFT JOIN users u ON u.id = a.created_by
                         WHERE a.team_id = $1 AND a.integration_id = $2
                         ORDER BY lower(a.label), a.id
                         LIMIT $3 OFFSET $4) k), '[]') AS keys`,
    [teamId, integrationId, page.limit, page.offset],
  );
}

export function findApiKeyIntegration(tx: Tx, slug: string) {
  return tx.maybeOne<{ id: number; label: string }>(
    "SELECT id, label FROM integrations WHERE slug = $1 AND auth IN ('api_key', 'api_key_or_oauth2')",
    [slug],
  );
}

export function insertApiKey(tx: Tx, key: { teamId: number; integrationId: number; label: string; encrypted: string; hint: string }) {
  return tx.one<{ id: number }>(
    `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint, created_by)
     VALUES ($1, $2, $3, $4, $5, current_app_user()) RETURNING id`,
    [key.teamId, key.integrationId, key.label, key.encrypted, key.hint],
  );
}

export function findApiKey(tx: Tx, teamId: number, keyId: number) {
  return tx.maybeOne<{ id: number; label: string; integration_label: string; integration_slug: string; used_by: number }>(
    `SELECT a.id, a.label, i.label AS integration_label, i.slug AS integration_slug,
            (SELECT count(*)::int FROM assistant_integrations pi WHERE pi.api_connection_id = a.id) AS used_by
       FROM api_key_connections a JOIN integrations i ON i.id = a.integration_id
      WHERE a.id = $1 AND a.team_id = $2`,
    [keyId, teamId],
  );
}

/** Two walls: the team scope in the SQL and row-level security. */
export function deleteApiKey(tx: Tx, teamId: number, keyId: number) {
  return tx.maybeOne<{ label: string }>(
    `DELETE FROM api_key_connections
      WHERE id = $1 AND team_id = $2
        AND team_id IN (SELECT team_id FROM team_users WHERE user_id = current_app_user())
      RETURNING label`,
    [keyId, teamId],
  );
}
