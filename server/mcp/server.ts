import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { callAssistantTool, listAssistantTools, type Caller, type McpDeps } from './service';

/**
 * One MCP server for one request of one assistant (stateless: nothing is kept between requests).
 * Tools are served through the low-level handlers because their input schemas are Composio's JSON
 * Schemas, not zod schemas.
 */
export function createAssistantMcpServer(deps: McpDeps, caller: Caller): McpServer {
  const mcp = new McpServer(
    { name: 'switchboard', title: 'Switchboard', version: '0.1.0' },
    {
      capabilities: { tools: {} },
      instructions: 'The tools this assistant may use, each running with the connection its team chose for it in Switchboard.',
    },
  );
  mcp.server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await listAssistantTools(deps, caller) }));
  mcp.server.setRequestHandler(CallToolRequestSchema, async (request) =>
    callAssistantTool(deps, caller, request.params.name, (request.params.arguments ?? {}) as Record<string, unknown>),
  );
  return mcp;
}
