import type { Tx } from '../db';

export type AuthKind = 'none' | 'api_key' | 'oauth2' | 'api_key_or_oauth2';
export type ConnectionKind = 'api_key' | 'oauth2';

export interface ConnectionOption {
  kind: ConnectionKind;
  id: number;
  label: string;
}

export interface CatalogRow {
  id: number;
  slug: string;
  label: string;
  icon: string;
  category: string;
  description: string;
  required: boolean;
  auth: AuthKind;
  /** The assistant's row for this integration, if added. */
  added_id: number | null;
  api_connection_id: number | null;
  oauth2_connection_id: number | null;
  /** The connection the added row uses, when it still exists and is usable. */
  current_connection: ConnectionOption | null;
  /** The team's usable connections of the kinds this integration takes. */
  connections: ConnectionOption[];
}

/**
 * A usable connection: any API key of the team; an OAuth2 account that Composio reports ACTIVE and
 * not disabled, still present in Composio, not revoked, and enabled here.
 */
const USABLE_CONNECTIONS = `
  SELECT a.integration_id, 'api_key' AS kind, a.id, a.label, a.created_at AS since
    FROM api_key_connections a WHERE a.team_id = $1
  UNION ALL
  SELECT o.integration_id, 'oauth2', o.id,
         coalesce(o.account_identity, i.label || ' account connected ' || to_char(o.connected_at, 'DD Mon YYYY')),
         o.connected_at
    FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id
   WHERE o.team_id = $1 AND o.enabled AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
     AND o.composio_status = 'ACTIVE' AND NOT o.composio_disabled`;

/** The whole catalog with the assistant's choices and the team's usable connections: one statement. */
export function listCatalogForAssistant(tx: Tx, teamId: number, promptId: number) {
  return tx.query<CatalogRow & Record<string, unknown>>(
    `WITH usable AS (${USABLE_CONNECTIONS})
     SELECT i.id, i.slug, i.label, i.icon, i.category, i.description, i.required, i.auth,
            pi.id AS added_id, pi.api_connection_id, pi.oauth2_connection_id,
            (SELECT json_build_object('kind', u.kind, 'id', u.id, 'label', u.label) FROM usable u
              WHERE u.integration_id = i.id
                AND ((u.kind = 'api_key' AND u.id = pi.api_connection_id) OR (u.kind = 'oauth2' AND u.id = pi.oauth2_connection_id))
            ) AS current_connection,
            coalesce((SELECT json_agg(json_build_object('kind', u.kind, 'id', u.id, 'label', u.label) ORDER BY u.kind, lower(u.label), u.id)
                        FROM usable u
                       WHERE u.integration_id = i.id
                         AND (i.auth = 'api_key_or_oauth2' OR i.auth = u.kind)), '[]') AS connections
       FROM integrations i
       LEFT JOIN prompt_integration pi ON pi.integration_id = i.id AND pi.prompt_id = $2 AND pi.team_id = $1
      ORDER BY i.category_position, i.position, i.id`,
    [teamId, promptId],
  );
}

export function findIntegration(tx: Tx, integrationId: number) {
  return tx.maybeOne<{ id: number; slug: string; label: string; auth: AuthKind }>(
    'SELECT id, slug, label, auth FROM integrations WHERE id = $1',
    [integrationId],
  );
}

/**
 * Adds the integration or switches its connection. Returns nothing when the row already had exactly
 * this connection; `inserted` tells an add from a switch. ON CONFLICT keeps concurrent adds to one row.
 */
export function upsertPromptIntegration(
  tx: Tx,
  row: { teamId: number; promptId: number; integrationId: number; apiConnectionId: number | null; oauth2ConnectionId: number | null },
) {
  return tx.maybeOne<{ inserted: boolean }>(
    `INSERT INTO prompt_integration (team_id, prompt_id, integration_id, api_connection_id, oauth2_connection_id)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (prompt_id, integration_id) DO UPDATE
        SET api_connection_id = EXCLUDED.api_connection_id, oauth2_connection_id = EXCLUDED.oauth2_connection_id, updated_at = now()
      WHERE (prompt_integration.api_connection_id, prompt_integration.oauth2_connection_id)
            IS DISTINCT FROM (EXCLUDED.api_connection_id, EXCLUDED.oauth2_connection_id)
     RETURNING (xmax = 0) AS inserted`,
    [row.teamId, row.promptId, row.integrationId, row.apiConnectionId, row.oauth2ConnectionId],
  );
}

/** delete_specific_prompt_integration: two walls, the team scope in the SQL and row-level security. */
export function deleteSpecificPromptIntegration(tx: Tx, promptId: number, integrationId: number) {
  return tx.maybeOne<{ id: number }>(
    `DELETE FROM prompt_integration
      WHERE prompt_id = $1 AND integration_id = $2
        AND prompt_id IN (SELECT p.id FROM prompts p JOIN team_users tu ON tu.team_id = p.team_id WHERE tu.user_id = current_app_user())
      RETURNING id`,
    [promptId, integrationId],
  );
}

/** The legacy bulk form: everything not in the new set goes, with the same two walls. */
export function deletePromptIntegrationsNotIn(tx: Tx, promptId: number, keepIntegrationIds: number[]) {
  return tx.query<{ integration_id: number }>(
    `DELETE FROM prompt_integration
      WHERE prompt_id = $1 AND NOT (integration_id = ANY ($2::int[]))
        AND prompt_id IN (SELECT p.id FROM prompts p JOIN team_users tu ON tu.team_id = p.team_id WHERE tu.user_id = current_app_user())
      RETURNING integration_id`,
    [promptId, keepIntegrationIds],
  );
}

/** The legacy bulk form: the new set in one statement, however many items. */
export function upsertPromptIntegrations(
  tx: Tx,
  teamId: number,
  promptId: number,
  items: { integrationId: number; apiConnectionId: number | null; oauth2ConnectionId: number | null }[],
) {
  return tx.query<{ integration_id: number; inserted: boolean }>(
    `INSERT INTO prompt_integration (team_id, prompt_id, integration_id, api_connection_id, oauth2_connection_id)
     SELECT $1, $2, x.integration_id, x.api_connection_id, x.oauth2_connection_id
       FROM unnest($3::int[], $4::int[], $5::int[]) AS x(integration_id, api_connection_id, oauth2_connection_id)
     ON CONFLICT (prompt_id, integration_id) DO UPDATE
        SET api_connection_id = EXCLUDED.api_connection_id, oauth2_connection_id = EXCLUDED.oauth2_connection_id, updated_at = now()
      WHERE (prompt_integration.api_connection_id, prompt_integration.oauth2_connection_id)
            IS DISTINCT FROM (EXCLUDED.api_connection_id, EXCLUDED.oauth2_connection_id)
     RETURNING integration_id, (xmax = 0) AS inserted`,
    [teamId, promptId, items.map((i) => i.integrationId), items.map((i) => i.apiConnectionId), items.map((i) => i.oauth2ConnectionId)],
  );
}
