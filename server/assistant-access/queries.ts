import type { Tx } from '../db';

export interface TokenRow {
  id: number;
  name: string;
  token_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  created_by_email: string | null;
}

/** The assistant's tokens, live ones first, with the 20 most recently revoked. */
export function listTokens(tx: Tx, teamId: number, assistantId: number) {
  return tx.query<TokenRow & Record<string, unknown>>(
    `SELECT t.id, t.name, t.token_prefix, t.created_at, t.last_used_at, t.revoked_at, u.email AS created_by_email
       FROM assistant_tokens t LEFT JOIN users u ON u.id = t.created_by
      WHERE t.team_id = $1 AND t.assistant_id = $2 AND (t.revoked_at IS NULL OR t.id IN (
              SELECT r.id FROM assistant_tokens r WHERE r.team_id = $1 AND r.assistant_id = $2 AND r.revoked_at IS NOT NULL
               ORDER BY r.revoked_at DESC LIMIT 20))
      ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id DESC`,
    [teamId, assistantId],
    { timestamps: ['created_at', 'last_used_at', 'revoked_at'] },
  );
}

export function insertToken(tx: Tx, token: { teamId: number; assistantId: number; name: string; hash: string; prefix: string }) {
  return tx.one<{ id: number }>(
    `INSERT INTO assistant_tokens (team_id, assistant_id, name, token_hash, token_prefix, created_by)
     VALUES ($1, $2, $3, $4, $5, current_app_user()) RETURNING id`,
    [token.teamId, token.assistantId, token.name, token.hash, token.prefix],
  );
}

export function findToken(tx: Tx, teamId: number, assistantId: number, tokenId: number) {
  return tx.maybeOne<{ id: number; name: string; revoked_at: Date | null }>(
    'SELECT id, name, revoked_at FROM assistant_tokens WHERE id = $3 AND assistant_id = $2 AND team_id = $1',
    [teamId, assistantId, tokenId],
  );
}

/** Two walls, as for deletes: the team scope in the SQL and row-level security. */
export function revokeToken(tx: Tx, teamId: number, assistantId: number, tokenId: number) {
  return tx.maybeOne<{ id: number; name: string }>(
    `UPDATE assistant_tokens SET revoked_at = now()
      WHERE id = $3 AND assistant_id = $2 AND team_id = $1 AND revoked_at IS NULL
        AND team_id IN (SELECT team_id FROM team_users WHERE user_id = current_app_user())
      RETURNING id, name`,
    [teamId, assistantId, tokenId],
  );
}

/** Null allows every tool (a newly added integration); a list allows exactly those. */
export function setAllowedTools(tx: Tx, teamId: number, assistantId: number, integrationId: number, allowed: string[] | null) {
  return tx.maybeOne<{ id: number }>(
    `UPDATE assistant_integrations SET allowed_tools = $4, updated_at = now()
      WHERE team_id = $1 AND assistant_id = $2 AND integration_id = $3
        AND team_id IN (SELECT team_id FROM team_users WHERE user_id = current_app_user())
      RETURNING id`,
    [teamId, assistantId, integrationId, allowed],
  );
}

export interface CallRow {
  id: number;
  token_name: string;
  tool: string;
  outcome: 'success' | 'error' | 'refused';
  reason: string | null;
  duration_ms: number;
  created_at: Date;
}

/** The most recent calls (ids grow with time), older than `beforeId` when given; one more than `limit` tells whether there are more. */
export function listCalls(tx: Tx, teamId: number, assistantId: number, limit: number, beforeId: number | null) {
  return tx.query<CallRow & Record<string, unknown>>(
    `SELECT id, token_name, tool, outcome, reason, duration_ms, created_at FROM mcp_tool_calls
      WHERE team_id = $1 AND assistant_id = $2 AND ($4::bigint IS NULL OR id < $4)
      ORDER BY id DESC LIMIT $3`,
    [teamId, assistantId, limit + 1, beforeId],
    { timestamps: ['created_at'] },
  );
}
