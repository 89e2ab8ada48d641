import type { Tx } from '../db';

export interface ProviderRow {
  integration_id: number;
  slug: string;
  label: string;
  icon: string;
  category: string;
  description: string;
  why_needed: string;
  required: boolean;
  connect_steps: string[];
  composio_toolkits: string[];
  /** Accounts still present in Composio and not revoked. */
  accounts: number;
  /** The most recent usable account (ACTIVE, not disabled in Composio), else the most recent account. */
  best_status: string | null;
  best_usable: boolean | null;
  identity: string | null;
  connected_at: Date | null;
  last_synced_at: Date | null;
  /** False when an admin disabled the provider here. */
  enabled: boolean;
  used_by: number;
}

/** Every Composio provider with the team's state for it: one statement. */
export function listProviders(tx: Tx, teamId: number) {
  return tx.query<ProviderRow & Record<string, unknown>>(
    `SELECT i.id AS integration_id, i.slug, i.label, i.icon, i.category, i.description, i.why_needed, i.required,
            i.connect_steps, i.composio_toolkits,
            coalesce(s.accounts, 0)::int AS accounts,
            b.composio_status AS best_status, b.usable AS best_usable, b.account_identity AS identity,
            b.connected_at, b.last_synced_at,
            coalesce(s.enabled, true) AS enabled,
            coalesce(u.used_by, 0)::int AS used_by
       FROM integrations i
       LEFT JOIN LATERAL (
         SELECT count(*) AS accounts, bool_and(o.enabled) AS enabled
           FROM oauth2_connections o
          WHERE o.team_id = $1 AND o.integration_id = i.id AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
       ) s ON true
       LEFT JOIN LATERAL (
         SELECT o.composio_status, o.account_identity, o.connected_at, o.last_synced_at,
                (o.composio_status = 'ACTIVE' AND NOT o.composio_disabled) AS usable
           FROM oauth2_connections o
          WHERE o.team_id = $1 AND o.integration_id = i.id AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
          ORDER BY (o.composio_status = 'ACTIVE' AND NOT o.composio_disabled) DESC, o.composio_updated_at DESC, o.id DESC
          LIMIT 1
       ) b ON true
       LEFT JOIN LATERAL (
         SELECT count(DISTINCT pi.prompt_id) AS used_by
           FROM prompt_integration pi JOIN oauth2_connections o ON o.id = pi.oauth2_connection_id
          WHERE pi.team_id = $1 AND o.integration_id = i.id
       ) u ON true
      WHERE cardinality(i.composio_toolkits) > 0
      ORDER BY i.category_position, i.position, i.id`,
    [teamId],
  );
}

export function findProvider(tx: Tx, slug: string) {
  return tx.maybeOne<{ id: number; slug: string; label: string }>(
    'SELECT id, slug, label FROM integrations WHERE slug = $1 AND cardinality(composio_toolkits) > 0',
    [slug],
  );
}

export function setProviderEnabled(tx: Tx, teamId: number, integrationId: number, enabled: boolean) {
  return tx.query<{ id: number }>(
    `UPDATE oauth2_connections SET enabled = $3
      WHERE team_id = $1 AND integration_id = $2 AND revoked_at IS NULL AND disconnected_at IS NULL
      RETURNING id`,
    [teamId, integrationId, enabled],
  );
}

/** The provider's accounts that are still there, locked so a concurrent revoke or sync waits. */
export interface ApiKeyRow {
  id: number;
  integration_id: number;
  label: string;
  secret_hint: string;
  created_at: Date;
  created_by_email: string | null;
  used_by: number;
}

export function listApiKeyIntegrationsWithKeys(tx: Tx, teamId: number) {
  return tx.query<{ integration_id: number; slug: string; label: string; icon: string; keys: ApiKeyRow[] }>(
    `SELECT i.id AS integration_id, i.slug, i.label, i.icon,
            coalesce((SELECT json_agg(json_build_object(
                        'id', a.id, 'integration_id', a.integration_id, 'label', a.label, 'secret_hint', a.secret_hint,
                        'created_at', a.created_at, 'created_by_email', u.email,
                        'used_by', (SELECT count(*) FROM prompt_integration pi WHERE pi.api_connection_id = a.id))
                        ORDER BY lower(a.label), a.id)
                        FROM api_key_connections a LEFT JOIN users u ON u.id = a.created_by
                       WHERE a.team_id = $1 AND a.integration_id = i.id), '[]') AS keys
       FROM integrations i
      WHERE i.auth IN ('api_key', 'api_key_or_oauth2')
      ORDER BY i.category_position, i.position, i.id`,
    [teamId],
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
  return tx.maybeOne<{ id: number; label: string; integration_label: string; used_by: number }>(
    `SELECT a.id, a.label, i.label AS integration_label,
            (SELECT count(*)::int FROM prompt_integration pi WHERE pi.api_connection_id = a.id) AS used_by
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
