import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { actForAssistant, authenticateToken } from './queries';
import type { Caller, McpDeps } from './service';
import { hashToken, looksLikeToken } from './tokens';

// Mounted at /mcp, before sessions and CSRF: an assistant token is the only credential here, and a
// session cookie is never read. See docs/decisions/011-mcp-endpoint.md.
// POST        /assistants/:assistantId   MCP over Streamable HTTP, stateless: initialize, tools/list, tools/call
// GET, DELETE /assistants/:assistantId   405: no server-initiated streams, no sessions to end

export interface McpRouteDeps extends McpDeps {
  /** tools/call messages per token per minute (MCP_RATE_LIMIT). */
  rateLimitPerMinute: number;
}

export function mcpRoutes(deps: McpRouteDeps): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  router.all('/assistants/:assistantId', async (req, res) => {
    const caller = await authenticate(deps, req, res);
    if (!caller) return;
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return jsonRpcError(
        res,
        405,
        -32000,
        'Method not allowed: send MCP messages with POST (this server is stateless and keeps no sessions).',
      );
    }
    const { createAssistantMcpServer, StreamableHTTPServerTransport } = mcpSdk();
    const mcp = createAssistantMcpServer(deps, caller);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  router.use(mcpErrors);
  return router;
}

type TransportModule = typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js');
interface McpSdk {
  createAssistantMcpServer: (typeof import('./server'))['createAssistantMcpServer'];
  StreamableHTTPServerTransport: TransportModule['StreamableHTTPServerTransport'];
}
let sdk: McpSdk | null = null;

/**
 * The MCP SDK is required by the first MCP request, not at start: a process that only serves pages
 * does without its memory (docs/decisions/025-process-memory.md).
 */
function mcpSdk(): McpSdk {
  return (sdk ??= {
    createAssistantMcpServer: (require('./server') as typeof import('./server')).createAssistantMcpServer,
    StreamableHTTPServerTransport: (require('@modelcontextprotocol/sdk/server/streamableHttp.js') as TransportModule)
      .StreamableHTTPServerTransport,
  });
}

const UNAUTHORIZED =
  'Unauthorized: send a valid assistant token as "Authorization: Bearer <token>". Tokens are created on the assistant\'s page in Switchboard.';

/**
 * The token's assistant, or an answer already sent: 401 for a missing, malformed, unknown or revoked
 * token, 404 when the token is valid but for another assistant (or no such assistant exists), and
 * 429 past the rate limit. Nothing in the 401 or 404 says which case it was.
 */
async function authenticate(deps: McpRouteDeps, req: Request, res: Response): Promise<Caller | null> {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
  if (!token || !looksLikeToken(token)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="Switchboard"');
    jsonRpcError(res, 401, -32001, UNAUTHORIZED);
    return null;
  }
  const assistantId = assistantIdOf(String(req.params.assistantId ?? ''));
  const calls = toolCallsIn(req.method === 'POST' ? req.body : undefined);
  const match = await deps.db.withOwner(async (tx) => {
    await actForAssistant(tx, null);
    return authenticateToken(tx, hashToken(token), assistantId, calls);
  });
  if (!match) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="Switchboard", error="invalid_token"');
    jsonRpcError(res, 401, -32001, UNAUTHORIZED);
    return null;
  }
  if (match.assistant_id !== assistantId) {
    jsonRpcError(res, 404, -32001, 'Not found.');
    return null;
  }
  if (calls > 0 && match.calls_in_window > deps.rateLimitPerMinute) {
    res.setHeader('Retry-After', '60');
    jsonRpcError(res, 429, -32000, `Too many tool calls: this token may make ${deps.rateLimitPerMinute} a minute. Try again in a minute.`);
    return null;
  }
  return { teamId: match.team_id, assistantId: match.assistant_id, tokenId: match.token_id, tokenName: match.token_name };
}

/** A positive 32-bit id, else 0 (no assistant has it, so a valid token gets the same 404). */
function assistantIdOf(raw: string | undefined): number {
  return raw && /^[1-9][0-9]{0,9}$/.test(raw) && Number(raw) <= 2147483647 ? Number(raw) : 0;
}

/** tools/call messages in a request body (a single JSON-RPC message or a batch). */
function toolCallsIn(body: unknown): number {
  const messages = Array.isArray(body) ? body : [body];
  return messages.filter((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'tools/call').length;
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

const mcpErrors: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) return;
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : 500;
  if (status >= 400 && status < 500)
    return jsonRpcError(res, status, -32700, 'The request body is not valid JSON (or is larger than 1 MB).');
  req.log?.error({ err: error }, 'MCP request failed');
  jsonRpcError(res, 500, -32603, 'Internal error; it has been logged.');
};
