import type { Tx } from '../db';
import type { ConnectionKind, ConnectionOption } from '../assistant-integrations/queries';
import { OAUTH2_LABEL } from '../composio/account-label';

/** The same test as the assistant picker's (server/assistant-integrations/queries.ts USABLE_OAUTH2). */
const USABLE_OAUTH2 = `o.enabled AND o.revoked_at IS NULL AND o.disconnected_at IS NULL AND o.composio_status = 'ACTIVE' AND NOT o.composio_disabled`;

export interface SourceConnection {
  kind: ConnectionKind;
  id: number;
  label: string;
  integration_id: number;
  integration_label: string;
  integration_slug: string;
  /** The assistants whose row points at this connection, by name. */
  assistants: { id: number; name: string }[];
  /** The other usable connections of the same integration, of the kinds it takes. */
  targets: ConnectionOption[];
}

/**
 * A connection of the team ($1, kind $2, id $3), in any state, with the assistants that use it and the
 * other working connections it could be replaced by: one statement; null when the team has no such one.
 */
export function findSourceConnection(tx: Tx, teamId: number, kind: ConnectionKind, id: number) {
  return tx.maybeOne<SourceConnection & Record<string, unknown>>(
    `WITH source AS (
       SELECT 'api_key' AS kind, a.id, a.label, a.integration_id FROM api_key_connections a
        WHERE $2 = 'api_key' AND a.id = $3 AND a.team_id = $1
       UNION ALL
       SELECT 'oauth2', o.id, ${OAUTH2_LABEL}, o.integration_id FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id
        WHERE $2 = 'oauth2' AND o.id = $3 AND o.team_id = $1
     ), usable AS (
       SELECT 'api_key' AS kind, a.id, a.label FROM api_key_connections a JOIN source s ON s.integration_id = a.integration_id
        WHERE a.team_id = $1
       UNION ALL
       SELECT 'oauth2', o.id, ${OAUTH2_LABEL} FROM oauth2_connections o JOIN source s ON s.integration_id = o.integration_id
         JOIN integrations i ON i.id = o.integration_id
        WHERE o.team_id = $1 AND ${USABLE_OAUTH2}
     )
     SELECT s.kind, s.id, s.label, s.integration_id, i.label AS integration_label, i.slug AS integration_slug,
            coalesce((SELECT json_agg(json_build_object('id', p.id, 'name', p.name) ORDER BY lower(p.name), p.id)
                        FROM assistant_integrations pi JOIN assistants p ON p.id = pi.assistant_id AND p.team_id = pi.team_id
                       WHERE pi.team_id = $1 AND pi.integration_id = s.integration_id
                         AND CASE WHEN s.kind = 'api_key' THEN pi.api_connection_id = s.id ELSE pi.oauth2_connection_id = s.id END), '[]') AS assistants,
            coalesce((SELECT json_agg(json_build_object('kind', u.kind, 'id', u.id, 'label', u.label) ORDER BY u.kind, lower(u.label), u.id)
                        FROM usable u
                       WHERE (i.auth = 'api_key_or_oauth2' OR i.auth = u.kind) AND NOT (u.kind = s.kind AND u.id = s.id)), '[]') AS targets
       FROM source s JOIN integrations i ON i.id = s.integration_id`,
    [teamId, kind, id],
  );
}

/**
 * The target ($4, $5) when it is a working connection of the source's integration ($3) that the
 * integration takes, locked against a concurrent delete or revoke until the move commits.
 */
export function lockUsableTarget(tx: Tx, teamId: number, integrationId: number, kind: ConnectionKind, id: number) {
  const sql =
    kind === 'api_key'
      ? `SELECT a.id, a.label FROM api_key_connections a JOIN integrations i ON i.id = a.integration_id
          WHERE a.id = $3 AND a.team_id = $1 AND a.integration_id = $2 AND i.auth IN ('api_key', 'api_key_or_oauth2')
            FOR SHARE OF a`
      : `SELECT o.id, ${OAUTH2_LABEL} AS label FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id
          WHERE o.id = $3 AND o.team_id = $1 AND o.integration_id = $2 AND i.auth IN ('oauth2', 'api_key_or_oauth2') AND ${USABLE_OAUTH2}
            FOR SHARE OF o`;
  return tx.maybeOne<{ id: number; label: string }>(sql, [teamId, integrationId, id]);
}

const USES_SOURCE = `pi.team_id = $1 AND pi.integration_id = $2
  AND CASE WHEN $3 = 'api_key' THEN pi.api_connection_id = $4 ELSE pi.oauth2_connection_id = $4 END`;

/** Locks the assistants that use the source, in id order as every assistant write path locks them. */
export function lockAssistantsUsing(tx: Tx, teamId: number, integrationId: number, kind: ConnectionKind, id: number) {
  return tx.query<{ id: number }>(
    `SELECT p.id FROM assistants p
      WHERE p.team_id = $1 AND p.id IN (SELECT pi.assistant_id FROM assistant_integrations pi WHERE ${USES_SOURCE})
      ORDER BY p.id FOR UPDATE OF p`,
    [teamId, integrationId, kind, id],
  );
}

/**
 * Every row of the team that uses the source now uses the target: one statement however many.
 * Two walls: the team scope in the SQL and row-level security.
 */
export function repointAssistantIntegrations(
  tx: Tx,
  row: { teamId: number; integrationId: number; from: { kind: ConnectionKind; id: number }; to: { kind: ConnectionKind; id: number } },
) {
  return tx.query<{ assistant_id: number }>(
    `UPDATE assistant_integrations pi
        SET api_connection_id = CASE WHEN $5 = 'api_key' THEN $6::int END,
            oauth2_connection_id = CASE WHEN $5 = 'oauth2' THEN $6::int END,
            updated_at = now()
      WHERE ${USES_SOURCE}
        AND pi.team_id IN (SELECT team_id FROM team_users WHERE user_id = current_app_user())
      RETURNING pi.assistant_id`,
    [row.teamId, row.integrationId, row.from.kind, row.from.id, row.to.kind, row.to.id],
  );
}
