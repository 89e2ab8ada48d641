import type { Tx } from '../db';

/** The team and assistant an MCP request acts for. */
export interface AssistantScope {
  teamId: number;
  assistantId: number;
}

/**
 * Switches the transaction to switchboard_mcp acting for one assistant; its own row-level policies
 * then show only that assistant and its team's connections. See docs/decisions/011-mcp-endpoint.md.
 */
export function actForAssistant(tx: Tx, scope: AssistantScope | null) {
  return tx.query(
    `SELECT set_config('role', 'switchboard_mcp', true), set_config('app.mcp_team_id', $1, true), set_config('app.mcp_assistant_id', $2, true)`,
    [scope ? String(scope.teamId) : '', scope ? String(scope.assistantId) : ''],
  );
}

export interface TokenMatch {
  token_id: number;
  team_id: number;
  assistant_id: number;
  token_name: string;
  calls_in_window: number;
}

/** The token with this hash, if it is live; counts `calls` against its rate window when it is `assistantId`'s. */
export function authenticateToken(tx: Tx, tokenHash: string, assistantId: number, calls: number) {
  return tx.maybeOne<TokenMatch & Record<string, unknown>>('SELECT * FROM mcp_authenticate($1, $2, $3)', [tokenHash, assistantId, calls]);
}

/**
 * Why an added integration's connection cannot be used, as a code (null: it can). Needs the aliases
 * i (integrations), a (api_key_connections) and o (oauth2_connections).
 */
const CONNECTION_PROBLEM = `
  CASE
    WHEN i.auth = 'none' OR a.id IS NOT NULL THEN NULL
    WHEN o.id IS NULL THEN 'missing'
    WHEN o.revoked_at IS NOT NULL THEN 'revoked'
    WHEN o.disconnected_at IS NOT NULL THEN 'gone'
    WHEN NOT o.enabled THEN 'disabled'
    WHEN o.composio_disabled THEN 'disabled_in_composio'
    WHEN o.composio_status <> 'ACTIVE' THEN lower(o.composio_status)
  END`;

export interface CachedTool {
  slug: string;
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface ToolSource {
  integration_id: number;
  slug: string;
  label: string;
  auth: string;
  tools_toolkit: string | null;
  /** Null: every tool is allowed. */
  allowed_tools: string[] | null;
  connection_problem: string | null;
  fetched_at: Date | null;
  tools: CachedTool[];
}

/**
 * An added integration's (pi, with its integration i) connection, a or o, and its toolkit's last
 * fetch, f: what toolSourceColumns reads. Also read by the assistant page's one pass over the
 * assistant's integrations (server/assistant-integrations/queries.ts).
 */
export const TOOL_SOURCE_JOINS = `
       LEFT JOIN api_key_connections a ON a.id = pi.api_connection_id AND a.team_id = pi.team_id
       LEFT JOIN oauth2_connections o ON o.id = pi.oauth2_connection_id AND o.team_id = pi.team_id
       LEFT JOIN composio_toolkit_fetches f ON f.toolkit = i.tools_toolkit`;

/** A ToolSource's columns other than the integration's own, over TOOL_SOURCE_JOINS; `inputSchema` is each tool's schema. */
export function toolSourceColumns(inputSchema: string): string {
  return `pi.allowed_tools,
            ${CONNECTION_PROBLEM} AS connection_problem,
            f.fetched_at,
            coalesce((SELECT json_agg(json_build_object('slug', ct.slug, 'name', ct.name, 'description', ct.description, 'inputSchema', ${inputSchema})
                                      ORDER BY ct.position)
                        FROM composio_tools ct WHERE ct.toolkit = i.tools_toolkit), '[]') AS tools`;
}

/** A page shows no input schema: a toolkit's schemas can be most of the bytes. */
export const NO_INPUT_SCHEMA = `'{}'::json`;

function toolSourcesSql(inputSchema: string): string {
  return `SELECT i.id AS integration_id, i.slug, i.label, i.auth, i.tools_toolkit, ${toolSourceColumns(inputSchema)}
       FROM assistant_integrations pi
       JOIN integrations i ON i.id = pi.integration_id
       ${TOOL_SOURCE_JOINS}
      WHERE pi.team_id = $1 AND pi.assistant_id = $2
      ORDER BY i.category_position, i.position, i.id`;
}
const TOOL_SOURCES = toolSourcesSql('ct.input_schema');
/** The same, each tool's input schema left out ({}): the assistant page shows names and descriptions only. */
const TOOL_SOURCES_WITHOUT_SCHEMAS = toolSourcesSql(NO_INPUT_SCHEMA);

/**
 * The assistant's added integrations, each with its connection's state and its toolkit's cached
 * tools: one statement. `inputSchemas: false` for a page, which shows no schema: a toolkit's schemas
 * can be most of the bytes.
 */
export function listToolSources(tx: Tx, scope: AssistantScope, options: { inputSchemas?: boolean } = {}) {
  return tx.query<ToolSource & Record<string, unknown>>(
    options.inputSchemas === false ? TOOL_SOURCES_WITHOUT_SCHEMAS : TOOL_SOURCES,
    [scope.teamId, scope.assistantId],
    { timestamps: ['fetched_at'] },
  );
}

export interface ToolBinding {
  integration_id: number;
  slug: string;
  label: string;
  auth: string;
  tools_toolkit: string | null;
  api_key_header: string | null;
  api_key_prefix: string;
  tool_version: string | null;
  /** Null when the integration is not (or no longer) added to the assistant. */
  added_id: number | null;
  allowed_tools: string[] | null;
  connection_problem: string | null;
  secret_encrypted: string | null;
  composio_account_id: string | null;
  composio_user_id: string;
}

/**
 * The catalog integration a tool belongs to (a cached Composio tool, or the built-in integration
 * named by `builtinSlug`), with the assistant's row for it and what a call needs: one statement.
 */
export function findToolBinding(tx: Tx, scope: AssistantScope, toolName: string, builtinSlug: string | null) {
  return tx.maybeOne<ToolBinding & Record<string, unknown>>(
    `SELECT i.id AS integration_id, i.slug, i.label, i.auth, i.tools_toolkit, i.api_key_header, i.api_key_prefix,
            ct.version AS tool_version, pi.id AS added_id, pi.allowed_tools,
            ${CONNECTION_PROBLEM} AS connection_problem,
            a.secret_encrypted, o.composio_account_id, t.composio_user_id
       FROM integrations i
       JOIN teams t ON t.id = $1
       LEFT JOIN composio_tools ct ON ct.toolkit = i.tools_toolkit AND ct.slug = $3
       LEFT JOIN assistant_integrations pi ON pi.integration_id = i.id AND pi.team_id = $1 AND pi.assistant_id = $2
       LEFT JOIN api_key_connections a ON a.id = pi.api_connection_id AND a.team_id = $1
       LEFT JOIN oauth2_connections o ON o.id = pi.oauth2_connection_id AND o.team_id = $1
      WHERE ct.slug IS NOT NULL OR i.slug = $4
      ORDER BY pi.id IS NULL, i.id
      LIMIT 1`,
    [scope.teamId, scope.assistantId, toolName, builtinSlug],
  );
}

/** Namespace of the advisory lock that keeps two refreshes of the tool cache apart. */
const TOOL_CACHE_LOCK_NAMESPACE = 7_240_002;

export function lockToolCache(tx: Tx) {
  return tx.query('SELECT pg_advisory_xact_lock($1, 0)', [TOOL_CACHE_LOCK_NAMESPACE]);
}

export interface ToolRow {
  toolkit: string;
  slug: string;
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  version: string | null;
  position: number;
}

/** Replaces the cached tools of these toolkits: three statements however many toolkits and tools. */
export async function replaceCachedTools(tx: Tx, toolkits: string[], tools: ToolRow[]) {
  await tx.query('DELETE FROM composio_tools WHERE toolkit = ANY ($1::text[])', [toolkits]);
  await tx.query(
    `INSERT INTO composio_tools (toolkit, slug, name, description, input_schema, version, position)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::int[])
     ON CONFLICT (toolkit, slug) DO NOTHING`,
    [
      tools.map((t) => t.toolkit),
      tools.map((t) => t.slug),
      tools.map((t) => t.name),
      tools.map((t) => t.description),
      tools.map((t) => JSON.stringify(t.inputSchema)),
      tools.map((t) => t.version),
      tools.map((t) => t.position),
    ],
  );
  await tx.query(
    `INSERT INTO composio_toolkit_fetches (toolkit, fetched_at) SELECT unnest($1::text[]), now()
     ON CONFLICT (toolkit) DO UPDATE SET fetched_at = EXCLUDED.fetched_at`,
    [toolkits],
  );
}

export interface ToolCallRecord {
  tokenId: number;
  tokenName: string;
  tool: string;
  outcome: 'success' | 'error' | 'refused';
  reason: string | null;
  durationMs: number;
}

/** One row per tools/call; never its arguments. */
export function recordToolCall(tx: Tx, scope: AssistantScope, call: ToolCallRecord) {
  return tx.query(
    `INSERT INTO mcp_tool_calls (team_id, assistant_id, token_id, token_name, tool, outcome, reason, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      scope.teamId,
      scope.assistantId,
      call.tokenId,
      call.tokenName,
      call.tool.slice(0, 200),
      call.outcome,
      call.reason,
      Math.max(0, Math.round(call.durationMs)),
    ],
  );
}
