import type { Tx } from '../db';
import { pgErrorCode } from '../db';
import { recordAudit } from '../audit/queries';
import { HttpError, notFound } from '../http/errors';
import { requireAdmin, type TeamContext, type TeamRef } from '../teams/context';
import type { Assistant } from '../assistant-integrations/service';
import { listToolSources, type ToolSource } from '../mcp/queries';
import { toolsOf } from '../mcp/service';
import { isBuiltinIntegration } from '../mcp/tools/builtin';
import { newAssistantToken } from '../mcp/tokens';
import { findToken, insertToken, listCalls, listTokens, revokeToken, setAllowedTools, type CallRow, type TokenRow } from './queries';

export const RECENT_CALLS = 20;

export interface ToolGroup {
  integrationId: number;
  slug: string;
  label: string;
  /** The Composio toolkit, or null for a built-in integration. */
  toolkit: string | null;
  /** True when the toolkit's tools have never been fetched from Composio. */
  notLoaded: boolean;
  connectionProblem: string | null;
  tools: { name: string; description: string; allowed: boolean }[];
}

export interface AccessPanel {
  tokens: TokenRow[];
  toolGroups: ToolGroup[];
  calls: CallRow[];
  moreCalls: boolean;
}

/**
 * The assistant page's MCP sections: two reads however many tokens or calls, asked for together so
 * that the page can send them with its own in one statement (readTogether), and the tool
 * permissions from `sources`, which the page reads with its catalog (listCatalogForAssistant).
 */
export async function loadAccessPanel(
  tx: Tx,
  team: TeamRef,
  assistantId: number,
  composioConfigured: boolean,
  sources: Promise<ToolSource[]>,
): Promise<AccessPanel> {
  const [tokens, toolSources, calls] = await Promise.all([
    listTokens(tx, team.id, assistantId),
    sources,
    listCalls(tx, team.id, assistantId, RECENT_CALLS, null),
  ]);
  return {
    tokens,
    toolGroups: toolGroupsOf(toolSources, composioConfigured),
    calls: calls.slice(0, RECENT_CALLS),
    moreCalls: calls.length > RECENT_CALLS,
  };
}

async function loadToolGroups(tx: Tx, team: TeamRef, assistantId: number, composioConfigured: boolean): Promise<ToolGroup[]> {
  return toolGroupsOf(await listToolSources(tx, { teamId: team.id, assistantId }, { inputSchemas: false }), composioConfigured);
}

/** The tool permissions' groups: the added integrations that have tools, built in or from Composio. */
function toolGroupsOf(sources: ToolSource[], composioConfigured: boolean): ToolGroup[] {
  return sources
    .filter((s) => isBuiltinIntegration(s.slug) || s.tools_toolkit)
    .map((s) => ({
      integrationId: s.integration_id,
      slug: s.slug,
      label: s.label,
      toolkit: isBuiltinIntegration(s.slug) ? null : s.tools_toolkit,
      notLoaded: !isBuiltinIntegration(s.slug) && s.fetched_at === null,
      connectionProblem: s.connection_problem,
      tools: toolsOf(s, composioConfigured).map(({ name, description, allowed }) => ({ name, description, allowed })),
    }));
}

/** The toolkits of the assistant's added Composio integrations. */
export async function addedToolkits(tx: Tx, team: TeamContext, assistantId: number): Promise<string[]> {
  requireAdmin(team, 'refresh tool lists');
  const sources = await listToolSources(tx, { teamId: team.id, assistantId }, { inputSchemas: false });
  return [...new Set(sources.flatMap((s) => (s.tools_toolkit && !isBuiltinIntegration(s.slug) ? [s.tools_toolkit] : [])))];
}

/** A new token: returned once, in full, to be shown once; only its hash is kept. */
export async function createToken(tx: Tx, team: TeamContext, assistant: Assistant, name: string) {
  requireAdmin(team, 'create access tokens');
  const { token, hash, prefix } = newAssistantToken();
  let id: number;
  try {
    ({ id } = await insertToken(tx, { teamId: team.id, assistantId: assistant.id, name, hash, prefix }));
  } catch (error) {
    if (pgErrorCode(error) === '23505')
      throw new HttpError(422, `${assistant.name} already has a token named "${name}". Choose another name or revoke that one first.`);
    throw error;
  }
  await recordAudit(tx, {
    teamId: team.id,
    action: 'assistant.token_created',
    target: `${name} on ${assistant.name}`,
    details: { assistantId: assistant.id, assistantName: assistant.name, token: name, tokenId: id, prefix },
  });
  return { id, name, prefix, token };
}

export async function revokeAssistantToken(
  tx: Tx,
  team: TeamContext,
  assistant: Assistant,
  tokenId: number,
): Promise<{ revoked: boolean; message: string }> {
  requireAdmin(team, 'revoke access tokens');
  const existing = await findToken(tx, team.id, assistant.id, tokenId);
  if (!existing) throw notFound('That token');
  if (existing.revoked_at) return { revoked: false, message: `The token "${existing.name}" was already revoked; nothing changed.` };
  const revoked = await revokeToken(tx, team.id, assistant.id, tokenId);
  if (!revoked) throw notFound('That token');
  await recordAudit(tx, {
    teamId: team.id,
    action: 'assistant.token_revoked',
    target: `${revoked.name} on ${assistant.name}`,
    details: { assistantId: assistant.id, assistantName: assistant.name, token: revoked.name, tokenId },
  });
  return { revoked: true, message: `Revoked the token "${revoked.name}". MCP clients using it are refused from now on.` };
}

/** Saves which tools of one added integration the assistant may use; every name must be one of its tools. */
export async function saveToolPermissions(
  tx: Tx,
  team: TeamContext,
  assistant: Assistant,
  integrationId: number,
  ticked: string[],
  composioConfigured: boolean,
): Promise<string> {
  requireAdmin(team, 'change which tools an assistant may use');
  const group = (await loadToolGroups(tx, team, assistant.id, composioConfigured)).find((g) => g.integrationId === integrationId);
  if (!group) throw notFound('That integration on this assistant');
  if (group.tools.length === 0)
    throw new HttpError(
      409,
      `${group.label}'s tools have not been loaded from Composio yet. Press "Refresh tool lists from Composio" first.`,
    );
  const known = new Set(group.tools.map((t) => t.name));
  const unknown = ticked.find((name) => !known.has(name));
  if (unknown !== undefined) throw new HttpError(422, `"${unknown.slice(0, 100)}" is not a tool of ${group.label}.`);
  const allowed = group.tools.map((t) => t.name).filter((name) => ticked.includes(name));
  const updated = await setAllowedTools(tx, team.id, assistant.id, integrationId, allowed);
  if (!updated) throw notFound('That integration on this assistant');
  const denied = group.tools.map((t) => t.name).filter((name) => !ticked.includes(name));
  await recordAudit(tx, {
    teamId: team.id,
    action: 'assistant.tools_changed',
    target: `${group.label} on ${assistant.name}`,
    details: { assistantId: assistant.id, assistantName: assistant.name, integrationLabel: group.label, allowed, denied },
  });
  return `${assistant.name} may use ${allowed.length} of ${group.tools.length} ${group.label} tools.`;
}

export async function loadCalls(tx: Tx, team: TeamContext, assistantId: number, beforeId: number | null, pageSize = 50) {
  const rows = await listCalls(tx, team.id, assistantId, pageSize, beforeId);
  return { calls: rows.slice(0, pageSize), more: rows.length > pageSize };
}
