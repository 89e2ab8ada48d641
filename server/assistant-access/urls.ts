import type { Request } from 'express';

/** The addresses of an assistant's page and of its MCP sections. */

export function assistantPageUrl(teamId: number, assistantId: number): string {
  return `/app/team/${teamId}/assistant/${assistantId}/integrations`;
}

export function accessUrl(teamId: number, assistantId: number): string {
  return `/app/team/${teamId}/assistant/${assistantId}/mcp`;
}

export function callsUrl(teamId: number, assistantId: number): string {
  return `${accessUrl(teamId, assistantId)}/calls`;
}

/** The assistant's MCP endpoint as clients outside reach it (behind a proxy, set TRUST_PROXY). */
export function mcpUrl(req: Request, assistantId: number): string {
  return `${req.protocol}://${req.get('host')}/mcp/assistants/${assistantId}`;
}
