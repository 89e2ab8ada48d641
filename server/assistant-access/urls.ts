import type { Request } from 'express';

/** The addresses of an assistant's page and of its MCP sections. */

export function assistantPageUrl(teamId: number, promptId: number): string {
  return `/app/team/${teamId}/assistant/${promptId}/integrations`;
}

export function accessUrl(teamId: number, promptId: number): string {
  return `/app/team/${teamId}/assistant/${promptId}/mcp`;
}

export function callsUrl(teamId: number, promptId: number): string {
  return `${accessUrl(teamId, promptId)}/calls`;
}

/** The assistant's MCP endpoint as clients outside reach it (behind a proxy, set TRUST_PROXY). */
export function mcpUrl(req: Request, promptId: number): string {
  return `${req.protocol}://${req.get('host')}/mcp/assistants/${promptId}`;
}
