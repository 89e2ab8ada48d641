import type { Tx } from '../db';
import { OAUTH2_LABEL } from '../composio/account-label';
import { NO_INPUT_SCHEMA, TOOL_SOURCE_JOINS, toolSourceColumns, type ToolSource } from '../mcp/queries';

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
  /** The connection the added row uses, when it still exists and is usable. */
  current_connection: ConnectionOption | null;
  /** The OAuth2 account an added row still points at when it is no longer usable, and why. */
  lost_connection: LostConnection | null;
  /**
   * How many of the team's usable connections of the kinds this integration takes there are,
   * counted up to 2: the page only tells none, one and several apart.
   */
  connection_count: 0 | 1 | 2;
  /** Those connections, only where asked for (JSON clients, the picker); null otherwise. */
  connections: ConnectionOption[] | null;
}

const USABLE_OAUTH2 = `o.enabled AND o.revoked_at IS NULL AND o.disconnected_at IS NULL AND o.composio_status = 'ACTIVE' AND NOT o.composio_disabled`;

/**
 * A usable connection: any API key of the team; an OAuth2 account that Composio reports ACTIVE and
 * not disabled, still present in Composio, not revoked, and enabled here. $1 is the team.
 */
const USABLE_CONNECTIONS = `
  SELECT a.integration_id, 'api_key' AS kind, a.id, a.label
    FROM api_key_connections a WHERE a.team_id = $1
  UNION ALL
  SELECT o.integration_id, 'oauth2', o.id, ${OAUTH2_LABEL}
    FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id
   WHERE o.team_id = $1 AND ${USABLE_OAUTH2}`;

/**
 * The integration's (i) usable connections of the kinds it takes, counted up to 2: from the team's
 * row of connection_counts (cc), which triggers keep (migrations/1764900000000_connection-counts.sql),
 * so one small row is read per integration however many connections the team has.
 */
const USABLE_UP_TO_TWO = `
  least(coalesce(CASE i.auth WHEN 'api_key' THEN cc.api_keys
                             WHEN 'oauth2' THEN cc.oauth2_usable
                             WHEN 'api_key_or_oauth2' THEN cc.api_keys + cc.oauth2_usable END, 0), 2)::int`;
/** The team's counts for each integration (i): what USABLE_UP_TO_TWO reads. $1 is the team. */
const WITH_COUNTS = 'LEFT JOIN connection_counts cc ON cc.team_id = $1 AND cc.integration_id = i.id';

const TAKES_KIND = `(i.auth = 'api_key_or_oauth2' OR i.auth = u.kind)`;

/** An API key (a) or an OAuth2 account (o, of integration i) as a ConnectionOption. */
const API_KEY_OPTION = `json_build_object('kind', 'api_key', 'id', a.id, 'label', a.label)`;
const OAUTH2_OPTION = `json_build_object('kind', 'oauth2', 'id', o.id, 'label', ${OAUTH2_LABEL})`;

/** The connection an added row uses (pi), when it is still usable: a lookup by id, not a scan. */
const CURRENT_CONNECTION = `
  CASE
    WHEN pi.api_connection_id IS NOT NULL THEN
      (SELECT ${API_KEY_OPTION} FROM api_key_connections a
        WHERE a.id = pi.api_connection_id AND a.team_id = $1 AND a.integration_id = i.id)
    WHEN pi.oauth2_connection_id IS NOT NULL THEN
      (SELECT ${OAUTH2_OPTION} FROM oauth2_connections o
        WHERE o.id = pi.oauth2_connection_id AND o.team_id = $1 AND o.integration_id = i.id AND ${USABLE_OAUTH2})
  END`;

export type LostReason = 'disabled' | 'expired' | 'disabled_in_composio' | 'revoked' | 'gone';
export interface LostConnection {
  label: string;
  reason: LostReason;
  /** Composio's status and its reason, when it gave one (e.g. EXPIRED, "token revoked by the user"). */
  status: string;
  detail: string | null;
}

/** The OAuth2 account (o, of integration i) as a LostConnection: why it cannot be used, most fixable first. */
const LOST_ACCOUNT = `
  json_build_object('label', ${OAUTH2_LABEL}, 'status', o.composio_status, 'detail', o.composio_status_reason,
                    'reason', CASE WHEN o.revoked_at IS NOT NULL THEN 'revoked'
                                   WHEN o.disconnected_at IS NOT NULL THEN 'gone'
                                   WHEN o.composio_status <> 'ACTIVE' THEN 'expired'
                                   WHEN o.composio_disabled THEN 'disabled_in_composio'
                                   ELSE 'disabled' END)`;

/**
 * Why the OAuth2 account an added row (pi) points at cannot be used: a lookup by id. A deleted API
 * key leaves no row to point at (the page says so).
 */
const LOST_CONNECTION = `
  CASE WHEN pi.oauth2_connection_id IS NOT NULL THEN
    (SELECT ${LOST_ACCOUNT} FROM oauth2_connections o
      WHERE o.id = pi.oauth2_connection_id AND o.team_id = $1 AND NOT (${USABLE_OAUTH2}))
  END`;

/**
 * CURRENT_CONNECTION and LOST_CONNECTION for an added row (pi) whose connection is already joined,
 * as TOOL_SOURCE_JOINS joins it (a and o by id within the row's team): the same answers, no lookups.
 */
const CURRENT_OF_JOINED = `
  CASE WHEN pi.api_connection_id IS NOT NULL THEN CASE WHEN a.integration_id = i.id THEN ${API_KEY_OPTION} END
       WHEN o.integration_id = i.id AND ${USABLE_OAUTH2} THEN ${OAUTH2_OPTION}
  END`;
const LOST_OF_JOINED = `CASE WHEN o.id IS NOT NULL AND NOT (${USABLE_OAUTH2}) THEN ${LOST_ACCOUNT} END`;

const CATALOG_COLUMNS = `i.id, i.slug, i.label, i.icon, i.category, i.description, i.required, i.auth, pi.id AS added_id,
  ${CURRENT_CONNECTION} AS current_connection, ${LOST_CONNECTION} AS lost_connection`;

const CONNECTION_LIST = `
  coalesce((SELECT json_agg(json_build_object('kind', u.kind, 'id', u.id, 'label', u.label) ORDER BY u.kind, lower(u.label), u.id)
              FROM usable u WHERE u.integration_id = i.id AND ${TAKES_KIND}), '[]')`;

export interface AssistantRow {
  id: number;
  name: string;
  description: string;
}

/** The assistant's (a) row for each integration (i), if it added it: pi. $1 is the team. */
const WITH_ASSISTANTS_ROW =
  'LEFT JOIN assistant_integrations pi ON pi.integration_id = i.id AND pi.assistant_id = a.id AND pi.team_id = $1';

/**
 * The assistant ($2 of team $1) and, joined to it, integrations (i) with the assistant's row (pi)
 * and any further `joins`: no row at all when the assistant is not one of the team's.
 */
const fromAssistant = (integrations: string, joins = '') => `
  FROM assistants a
  LEFT JOIN integrations i ON ${integrations}
  ${WITH_ASSISTANTS_ROW}
  ${joins}
 WHERE a.id = $2 AND a.team_id = $1`;
const ASSISTANT_COLUMNS = 'a.name AS assistant_name, a.description AS assistant_description';

type WithAssistant<T> = T & { assistant_name: string; assistant_description: string };

function assistantOf(assistantId: number, rows: WithAssistant<unknown>[]): AssistantRow | null {
  const first = rows[0];
  return first ? { id: assistantId, name: first.assistant_name, description: first.assistant_description } : null;
}

/** The catalog's text for one integration: what a process keeps (see listCatalogForAssistant). */
type CatalogText = Pick<CatalogRow, 'id' | 'slug' | 'label' | 'icon' | 'category' | 'description' | 'required' | 'auth'>;

/**
 * The catalog's text as this process last read it, by the catalog's stamp (catalog_stamp, which
 * a trigger changes with every change to the integrations table, in the same transaction), in
 * catalog order. A few stamps are kept: one per database this process reads (the tests use
 * several), and the one before a catalog change until it ages out.
 */
const keptCatalogs = new Map<string, Map<number, CatalogText>>();
const KEPT_CATALOGS = 8;

/** One integration of the catalog as the read with connections returns it, without the catalog's text. */
type AssistantsRow = Pick<CatalogRow, 'id' | 'added_id' | 'current_connection' | 'lost_connection' | 'connection_count' | 'connections'>;

/** One integration the assistant added, as the read with counts returns it; the tool columns when asked for. */
type AddedRow = Pick<CatalogRow, 'id' | 'added_id' | 'current_connection' | 'lost_connection'> &
  Partial<Pick<ToolSource, 'tools_toolkit' | 'allowed_tools' | 'connection_problem' | 'tools'>> & { fetched_at?: string | null };

/** The team's connection_counts row for one integration, as [integration id, API keys, usable OAuth2 accounts]. */
type CountsRow = [number, number, number];

export interface AssistantCatalog {
  assistant: AssistantRow;
  /** Every integration of the catalog, in catalog order, with the assistant's choices. */
  catalog: CatalogRow[];
  /** The added integrations as the MCP tool permissions show them (listToolSources' rows), where asked for; else null. */
  toolSources: ToolSource[] | null;
}

/**
 * The assistant and the whole catalog with its choices: one statement; null when the team has no
 * such assistant. The page shows only whether each integration has none, one or several
 * connections it could use, so that is all it reads; JSON clients get the lists.
 *
 * The catalog's text (labels, descriptions, icons, categories: most of the read's bytes, and the
 * same for every team) comes back only when this process does not hold it for the catalog's
 * current stamp: the statement compares the stamp with those the process holds, in the same
 * snapshot as the rest of the read, so the text always matches the rows. See
 * docs/decisions/030-catalog-kept-in-the-process.md.
 *
 * Without connections, the statement reads only the integrations the assistant added and the
 * team's counts, and the catalog is laid out here in the kept text's order; `withToolSources` adds
 * the tool permissions' columns to that same pass over the added integrations (listToolSources
 * without input schemas, for the page). See docs/decisions/035-one-pass-over-added-integrations.md.
 */
export async function listCatalogForAssistant(
  tx: Tx,
  teamId: number,
  assistantId: number,
  options: { withConnections: boolean; withToolSources?: boolean },
): Promise<AssistantCatalog | null> {
  if (options.withConnections && options.withToolSources) throw new TypeError('The read with connections lists no tool sources.');
  const held = new Map(keptCatalogs); // what this read can rely on, whatever other reads keep meanwhile
  const rows = await tx.query<
    WithAssistant<{
      stamp: string;
      catalog: CatalogText[] | null;
      integrations?: AssistantsRow[];
      added?: AddedRow[];
      counts?: CountsRow[];
    }>
  >(options.withConnections ? CATALOG_WITH_CONNECTIONS : options.withToolSources ? CATALOG_WITH_TOOL_SOURCES : CATALOG_WITH_COUNTS, [
    teamId,
    assistantId,
    [...held.keys()].join(','),
  ]);
  const assistant = assistantOf(assistantId, rows);
  const found = rows[0];
  if (!assistant || !found) return null;
  let text = held.get(found.stamp);
  if (found.catalog) {
    text = new Map(found.catalog.map((entry) => [entry.id, entry]));
    keptCatalogs.delete(found.stamp);
    keptCatalogs.set(found.stamp, text);
    if (keptCatalogs.size > KEPT_CATALOGS) keptCatalogs.delete(keptCatalogs.keys().next().value!);
  }
  if (!text) throw new Error(`The catalog's text for stamp ${found.stamp} was neither held nor sent.`);
  const lacking = (id: number) => new Error(`The catalog's text for stamp ${found.stamp} lacks integration ${id}.`);
  if (found.integrations) {
    const catalog = found.integrations.map((row) => {
      const entry = text.get(row.id);
      if (!entry) throw lacking(row.id);
      return catalogRow(entry, row, row.connection_count, row.connections);
    });
    return { assistant, catalog, toolSources: null };
  }
  const added = new Map(found.added!.map((row) => [row.id, row]));
  for (const id of added.keys()) if (!text.has(id)) throw lacking(id);
  const counts = new Map(found.counts!.map((row) => [row[0], row]));
  const catalog: CatalogRow[] = [];
  const toolSources: ToolSource[] = [];
  for (const entry of text.values()) {
    const row = added.get(entry.id);
    catalog.push(catalogRow(entry, row ?? null, usableUpToTwo(entry.auth, counts.get(entry.id)), null));
    if (row && options.withToolSources) toolSources.push(toolSource(entry, row));
  }
  return { assistant, catalog, toolSources: options.withToolSources ? toolSources : null };
}

/** A catalog row from the kept text and the assistant's choices (null: not added). */
function catalogRow(
  entry: CatalogText,
  row: Pick<CatalogRow, 'added_id' | 'current_connection' | 'lost_connection'> | null,
  connectionCount: CatalogRow['connection_count'],
  connections: CatalogRow['connections'],
): CatalogRow {
  // One object literal: every row gets the same shape, which spreading two objects does not give.
  return {
    id: entry.id,
    slug: entry.slug,
    label: entry.label,
    icon: entry.icon,
    category: entry.category,
    description: entry.description,
    required: entry.required,
    auth: entry.auth,
    added_id: row?.added_id ?? null,
    current_connection: row?.current_connection ?? null,
    lost_connection: row?.lost_connection ?? null,
    connection_count: connectionCount,
    connections,
  };
}

/** USABLE_UP_TO_TWO, from the team's counts for the integration (none: no row yet). */
function usableUpToTwo(auth: AuthKind, counts: CountsRow | undefined): CatalogRow['connection_count'] {
  if (!counts) return 0;
  const [, apiKeys, oauth2Usable] = counts;
  const usable =
    auth === 'api_key' ? apiKeys : auth === 'oauth2' ? oauth2Usable : auth === 'api_key_or_oauth2' ? apiKeys + oauth2Usable : 0;
  return Math.min(usable, 2) as CatalogRow['connection_count'];
}

/** listToolSources' row for an added integration, from the kept text and the read's tool columns. */
function toolSource(entry: CatalogText, row: AddedRow): ToolSource {
  return {
    integration_id: entry.id,
    slug: entry.slug,
    label: entry.label,
    auth: entry.auth,
    tools_toolkit: row.tools_toolkit!,
    allowed_tools: row.allowed_tools!,
    connection_problem: row.connection_problem!,
    // Through JSON a timestamp arrives as text; listToolSources gives a Date.
    fetched_at: row.fetched_at ? new Date(row.fetched_at) : null,
    tools: row.tools!,
  };
}

/**
 * The assistant ($2 of team $1), the catalog's stamp, and its text in catalog order unless the stamp
 * is one of $3 (comma-separated). The stamp is read by subqueries that run once, not joined: the
 * one-row table has no statistics, and a join with it made the planner expect thousands of rows and
 * compile the statement (JIT).
 */
const catalogRead = (columns: string, cte = '') => `
  ${cte}
  SELECT ${ASSISTANT_COLUMNS}, (SELECT stamp FROM catalog_stamp) AS stamp,
         CASE WHEN (SELECT stamp::text FROM catalog_stamp) = ANY (string_to_array($3, ',')) THEN NULL ELSE
           (SELECT json_agg(json_build_object('id', i.id, 'slug', i.slug, 'label', i.label, 'icon', i.icon, 'category', i.category,
                                              'description', i.description, 'required', i.required, 'auth', i.auth)
                            ORDER BY i.category_position, i.position, i.id)
              FROM integrations i)
         END AS catalog,
         ${columns}
    FROM assistants a
   WHERE a.id = $2 AND a.team_id = $1`;

/** With connections: every integration in catalog order with the assistant's choices and its usable connections listed. */
const CATALOG_WITH_CONNECTIONS = catalogRead(
  `(SELECT coalesce(json_agg(r), '[]') FROM (
      SELECT i.id, pi.id AS added_id, ${CURRENT_CONNECTION} AS current_connection, ${LOST_CONNECTION} AS lost_connection,
             conn.list AS connections, least(json_array_length(conn.list), 2) AS connection_count
        FROM integrations i
        ${WITH_ASSISTANTS_ROW}
        CROSS JOIN LATERAL (SELECT ${CONNECTION_LIST} AS list) conn
       ORDER BY i.category_position, i.position, i.id) r) AS integrations`,
  `WITH usable AS (${USABLE_CONNECTIONS})`,
);

/**
 * With counts: the integrations the assistant added (their connections joined, not looked up row by
 * row; inside the subquery a is the API key, not the assistant) and the team's counts, one small row
 * per integration (connection_counts, which triggers keep). `toolColumns` adds listToolSources'.
 */
const countsRead = (toolColumns: string) =>
  catalogRead(`(SELECT coalesce(json_agg(r), '[]') FROM (
      SELECT pi.integration_id AS id, pi.id AS added_id, ${CURRENT_OF_JOINED} AS current_connection,
             ${LOST_OF_JOINED} AS lost_connection${toolColumns}
        FROM assistant_integrations pi
        JOIN integrations i ON i.id = pi.integration_id
        ${TOOL_SOURCE_JOINS}
       WHERE pi.team_id = $1 AND pi.assistant_id = $2) r) AS added,
    (SELECT coalesce(json_agg(json_build_array(cc.integration_id, cc.api_keys, cc.oauth2_usable)), '[]')
       FROM connection_counts cc WHERE cc.team_id = $1) AS counts`);
const CATALOG_WITH_COUNTS = countsRead('');
const CATALOG_WITH_TOOL_SOURCES = countsRead(`, i.tools_toolkit, ${toolSourceColumns(NO_INPUT_SCHEMA)}`);

export interface CatalogEntry extends CatalogRow {
  /** The connection that was asked about, when it is one of the usable ones this integration takes. */
  chosen: ConnectionOption | null;
  /** With a list asked for: how many usable connections match its filter (the list may show fewer). */
  connections_matching: number | null;
}

/** Which of the integration's connections to list: none, all (JSON clients), or the first that match. */
export type ConnectionListing = 'none' | 'all' | { first: number; matching: string };

/**
 * The assistant and one integration of the catalog as listCatalogForAssistant would show it, and
 * whether the chosen connection is usable for it: one statement reading only this integration's
 * connections; null when the team has no such assistant, `entry` null when there is no such
 * integration. Its connections are listed only when asked for: all of them for JSON clients; for
 * the picker, the first ones whose label contains `matching`, the chosen connection (one just
 * added, preselected) first, then the one in use.
 */
export async function findCatalogEntry(
  tx: Tx,
  row: {
    teamId: number;
    assistantId: number;
    integrationId: number;
    choice: { kind: ConnectionKind; id: number } | null;
    list: ConnectionListing;
  },
) {
  const limit = typeof row.list === 'object' ? row.list.first : null; // LIMIT NULL is no limit
  const matching = typeof row.list === 'object' ? row.list.matching.toLowerCase() : '';
  const rows = await tx.query<WithAssistant<CatalogEntry> & Record<string, unknown>>(
    `WITH usable AS (
       SELECT a.integration_id, 'api_key' AS kind, a.id, a.label
         FROM api_key_connections a WHERE a.team_id = $1 AND a.integration_id = $3
       UNION ALL
       SELECT o.integration_id, 'oauth2', o.id, ${OAUTH2_LABEL}
         FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id
        WHERE o.team_id = $1 AND o.integration_id = $3 AND ${USABLE_OAUTH2})
     SELECT ${ASSISTANT_COLUMNS}, ${CATALOG_COLUMNS},
            ${USABLE_UP_TO_TWO} AS connection_count,
            CASE WHEN $6 THEN
              coalesce((SELECT json_agg(json_build_object('kind', l.kind, 'id', l.id, 'label', l.label)) FROM (
                          SELECT u.kind, u.id, u.label FROM usable u
                           WHERE ${TAKES_KIND} AND strpos(lower(u.label), $8) > 0
                           ORDER BY (u.kind = $4 AND u.id = $5) DESC NULLS LAST,
                                    CASE WHEN $7::int IS NOT NULL
                                         THEN (u.kind = 'api_key' AND u.id = pi.api_connection_id) OR (u.kind = 'oauth2' AND u.id = pi.oauth2_connection_id)
                                    END DESC NULLS LAST,
                                    u.kind, lower(u.label), u.id
                           LIMIT $7) l), '[]')
            END AS connections,
            CASE WHEN $6 THEN (SELECT count(*)::int FROM usable u WHERE ${TAKES_KIND} AND strpos(lower(u.label), $8) > 0) END AS connections_matching,
            (SELECT json_build_object('kind', u.kind, 'id', u.id, 'label', u.label) FROM usable u
              WHERE ${TAKES_KIND} AND u.kind = $4 AND u.id = $5) AS chosen
     ${fromAssistant('i.id = $3', WITH_COUNTS)}`,
    [
      row.teamId,
      row.assistantId,
      row.integrationId,
      row.choice?.kind ?? null,
      row.choice?.id ?? null,
      row.list !== 'none',
      limit,
      matching,
    ],
  );
  const assistant = assistantOf(row.assistantId, rows);
  return assistant ? { assistant, entry: rows[0]!.id === null ? null : (rows[0] as CatalogEntry) } : null;
}

/** Which of the chosen connections (the legacy bulk form's) are usable for their integration: one statement. */
export function findUsableConnections(tx: Tx, teamId: number, refs: { integrationId: number; kind: ConnectionKind; id: number }[]) {
  return tx.query<{ integration_id: number; kind: ConnectionKind; id: number; label: string }>(
    `SELECT a.integration_id, 'api_key' AS kind, a.id, a.label
       FROM api_key_connections a
       JOIN unnest($2::int[], $3::text[], $4::int[]) AS r(integration_id, kind, id) ON r.kind = 'api_key' AND r.id = a.id AND r.integration_id = a.integration_id
      WHERE a.team_id = $1
     UNION ALL
     SELECT o.integration_id, 'oauth2', o.id, ${OAUTH2_LABEL}
       FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id
       JOIN unnest($2::int[], $3::text[], $4::int[]) AS r(integration_id, kind, id) ON r.kind = 'oauth2' AND r.id = o.id AND r.integration_id = o.integration_id
      WHERE o.team_id = $1 AND ${USABLE_OAUTH2}`,
    [teamId, refs.map((r) => r.integrationId), refs.map((r) => r.kind), refs.map((r) => r.id)],
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
export function upsertAssistantIntegration(
  tx: Tx,
  row: { teamId: number; assistantId: number; integrationId: number; apiConnectionId: number | null; oauth2ConnectionId: number | null },
) {
  // previous_label: the connection the row used before a switch, read in the same statement (the
  // CTE sees the row as it was); the activity says "from X to Y".
  return tx.maybeOne<{ inserted: boolean; previous_label: string | null }>(
    `WITH previous AS (
       SELECT CASE
                WHEN pi.api_connection_id IS NOT NULL THEN
                  (SELECT a.label FROM api_key_connections a WHERE a.id = pi.api_connection_id AND a.team_id = $1)
                WHEN pi.oauth2_connection_id IS NOT NULL THEN
                  (SELECT ${OAUTH2_LABEL} FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id
                    WHERE o.id = pi.oauth2_connection_id AND o.team_id = $1)
              END AS label
         FROM assistant_integrations pi
        WHERE pi.team_id = $1 AND pi.assistant_id = $2 AND pi.integration_id = $3
     )
     INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id, oauth2_connection_id)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (assistant_id, integration_id) DO UPDATE
        SET api_connection_id = EXCLUDED.api_connection_id, oauth2_connection_id = EXCLUDED.oauth2_connection_id, updated_at = now()
      WHERE (assistant_integrations.api_connection_id, assistant_integrations.oauth2_connection_id)
            IS DISTINCT FROM (EXCLUDED.api_connection_id, EXCLUDED.oauth2_connection_id)
     RETURNING (xmax = 0) AS inserted, (SELECT label FROM previous) AS previous_label`,
    [row.teamId, row.assistantId, row.integrationId, row.apiConnectionId, row.oauth2ConnectionId],
  );
}

/** delete_specific_assistant_integration: two walls, the team scope in the SQL and row-level security. */
export function deleteSpecificAssistantIntegration(tx: Tx, assistantId: number, integrationId: number) {
  return tx.maybeOne<{ id: number }>(
    `DELETE FROM assistant_integrations
      WHERE assistant_id = $1 AND integration_id = $2
        AND assistant_id IN (SELECT p.id FROM assistants p JOIN team_users tu ON tu.team_id = p.team_id WHERE tu.user_id = current_app_user())
      RETURNING id`,
    [assistantId, integrationId],
  );
}

/** The legacy bulk form: everything not in the new set goes, with the same two walls. */
export function deleteAssistantIntegrationsNotIn(tx: Tx, assistantId: number, keepIntegrationIds: number[]) {
  return tx.query<{ integration_id: number }>(
    `DELETE FROM assistant_integrations
      WHERE assistant_id = $1 AND NOT (integration_id = ANY ($2::int[]))
        AND assistant_id IN (SELECT p.id FROM assistants p JOIN team_users tu ON tu.team_id = p.team_id WHERE tu.user_id = current_app_user())
      RETURNING integration_id`,
    [assistantId, keepIntegrationIds],
  );
}

/** The legacy bulk form: the new set in one statement, however many items. */
export function upsertAssistantIntegrations(
  tx: Tx,
  teamId: number,
  assistantId: number,
  items: { integrationId: number; apiConnectionId: number | null; oauth2ConnectionId: number | null }[],
) {
  return tx.query<{ integration_id: number; inserted: boolean }>(
    `INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id, oauth2_connection_id)
     SELECT $1, $2, x.integration_id, x.api_connection_id, x.oauth2_connection_id
       FROM unnest($3::int[], $4::int[], $5::int[]) AS x(integration_id, api_connection_id, oauth2_connection_id)
     ON CONFLICT (assistant_id, integration_id) DO UPDATE
        SET api_connection_id = EXCLUDED.api_connection_id, oauth2_connection_id = EXCLUDED.oauth2_connection_id, updated_at = now()
      WHERE (assistant_integrations.api_connection_id, assistant_integrations.oauth2_connection_id)
            IS DISTINCT FROM (EXCLUDED.api_connection_id, EXCLUDED.oauth2_connection_id)
     RETURNING integration_id, (xmax = 0) AS inserted`,
    [teamId, assistantId, items.map((i) => i.integrationId), items.map((i) => i.apiConnectionId), items.map((i) => i.oauth2ConnectionId)],
  );
}
