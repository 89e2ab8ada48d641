import type { Database, Tx } from '../db';
import type { Logger } from '../logger';
import { ComposioError, type ComposioExecution, type ComposioGateway } from '../composio/types';
import { decryptSecret } from '../crypto/secrets';
import { composioUserIdOf } from './composio-user';
import {
  actForAssistant,
  findToolBinding,
  listToolSources,
  recordToolCall,
  type AssistantScope,
  type ToolBinding,
  type ToolSource,
} from './queries';
import { refreshToolkits, staleToolkits } from './tool-cache';
import {
  builtinTool,
  builtinToolsOf,
  isBuiltinIntegration,
  type BuiltinDeps,
  type ToolDefinition,
  type ToolOutcome,
} from './tools/builtin';

export interface McpDeps {
  db: Database;
  composio: ComposioGateway | null;
  logger: Logger;
  encryptionKey: Buffer;
  builtin?: BuiltinDeps;
}

/** Who is calling: the assistant a live token belongs to, and the token's name for the record. */
export interface Caller extends AssistantScope {
  tokenId: number;
  tokenName: string;
}

export interface ToolCallResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  isError?: boolean;
}

/** A transaction acting for one assistant under switchboard_mcp's row-level policies. */
export function inAssistantScope<T>(db: Database, scope: AssistantScope, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.withOwner(async (tx) => {
    await actForAssistant(tx, scope);
    return fn(tx);
  });
}

/**
 * tools/list: the allowed tools of the added integrations whose connection works. Composio's
 * definitions come from the cache, refreshed first when older than a day; if Composio cannot be
 * reached the cached ones are served. Statements do not grow with the number of integrations.
 */
export async function listAssistantTools(deps: McpDeps, caller: Caller): Promise<ToolDefinition[]> {
  let sources = await inAssistantScope(deps.db, caller, (tx) => listToolSources(tx, caller));
  if (await refreshStaleTools(deps, caller, sources))
    sources = await inAssistantScope(deps.db, caller, (tx) => listToolSources(tx, caller));
  return sources
    .filter((s) => s.connection_problem === null)
    .flatMap((s) => toolsOf(s, deps.composio !== null).filter((t) => t.allowed))
    .map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
}

/** Fetches the added integrations' tool lists that are missing or older than a day; true when any arrived. */
async function refreshStaleTools(deps: McpDeps, caller: Caller, known?: ToolSource[]): Promise<boolean> {
  if (!deps.composio) return false;
  const sources = known ?? (await inAssistantScope(deps.db, caller, (tx) => listToolSources(tx, caller)));
  const stale = staleToolkits(sources);
  if (stale.length === 0) return false;
  const { refreshed } = await refreshToolkits(deps, stale, (fn) => inAssistantScope(deps.db, caller, fn));
  return refreshed.length > 0;
}

/** Every tool an added integration offers, each marked allowed or not: for tools/list and the permissions form. */
export function toolsOf(
  source: Pick<ToolSource, 'slug' | 'label' | 'tools' | 'allowed_tools'>,
  composioConfigured: boolean,
): (ToolDefinition & { allowed: boolean })[] {
  const tools: ToolDefinition[] = isBuiltinIntegration(source.slug)
    ? builtinToolsOf(source.slug).map((t) => t.definition)
    : composioConfigured
      ? source.tools.map((t) => ({ name: t.slug, description: t.description || t.name, inputSchema: t.inputSchema }))
      : [];
  return tools.map((t) => ({ ...t, allowed: source.allowed_tools === null || source.allowed_tools.includes(t.name) }));
}

const REFUSALS = new Set([
  'unknown_tool',
  'integration_removed',
  'not_allowed',
  'connection_unusable',
  'composio_not_configured',
  'api_key_unsupported',
]);

/**
 * tools/call. Whatever happens, the answer is a tool result (isError for failures, in words) and one
 * call record (tool, outcome, duration; never the arguments).
 */
export async function callAssistantTool(
  deps: McpDeps,
  caller: Caller,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolCallResult> {
  const started = performance.now();
  let outcome: ToolOutcome;
  try {
    outcome = await runTool(deps, caller, name, args);
  } catch (error) {
    deps.logger.error({ err: error, tool: name, assistantId: caller.assistantId }, 'MCP tool call failed');
    outcome = {
      ok: false,
      text: 'Switchboard could not run this tool because of an internal error; it has been logged. Try again later.',
      reason: 'internal_error',
    };
  }
  const durationMs = performance.now() - started;
  await inAssistantScope(deps.db, caller, (tx) =>
    recordToolCall(tx, caller, {
      tokenId: caller.tokenId,
      tokenName: caller.tokenName,
      tool: name,
      outcome: outcome.ok ? 'success' : REFUSALS.has(outcome.reason) ? 'refused' : 'error',
      reason: outcome.ok ? null : outcome.reason,
      durationMs,
    }),
  );
  return { content: [{ type: 'text', text: outcome.text }], ...(outcome.ok ? {} : { isError: true }) };
}

const refuse = (reason: string, text: string): ToolOutcome => ({ ok: false, reason, text });

async function runTool(deps: McpDeps, caller: Caller, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  const builtin = builtinTool(name);
  const find = () => inAssistantScope(deps.db, caller, (tx) => findToolBinding(tx, caller, name, builtin?.integrationSlug ?? null));
  let binding = await find();
  // A client may call a tool it knows before ever listing: load the tool lists not fetched yet, then look again.
  if (!binding && deps.composio && (await refreshStaleTools(deps, caller))) binding = await find();
  if (!binding)
    return refuse('unknown_tool', `This assistant has no tool named "${name.slice(0, 100)}". List the tools to see the ones it may use.`);
  const { label } = binding;
  if (binding.added_id === null) {
    return refuse(
      'integration_removed',
      `${name} belongs to ${label}, which is not added to this assistant (it may have been removed), so it was not run. A team admin can add ${label} to the assistant in Switchboard.`,
    );
  }
  if (binding.allowed_tools !== null && !binding.allowed_tools.includes(name)) {
    return refuse(
      'not_allowed',
      `This assistant is not allowed to use ${name}, so it was not run. A team admin can allow it on the assistant's page in Switchboard.`,
    );
  }
  if (binding.connection_problem !== null) {
    return refuse(
      'connection_unusable',
      `${connectionProblemText(label, binding.connection_problem)}, so ${name} was not run. A team admin can choose another connection for ${label} on the assistant's page.`,
    );
  }
  if (builtin) return builtin.run(args, deps.builtin ?? {});
  if (!deps.composio)
    return refuse('composio_not_configured', `Composio is not configured on this Switchboard server, so ${label} tools cannot run.`);
  return runComposioTool(deps, deps.composio, binding, name, args);
}

/** As the team's Composio user, with the chosen account or, for an API key, the key as custom auth. */
async function runComposioTool(
  deps: McpDeps,
  composio: ComposioGateway,
  binding: ToolBinding,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolOutcome> {
  const execution: ComposioExecution = { userId: composioUserIdOf(binding), arguments: args, version: binding.tool_version };
  let secret: string | null = null;
  if (binding.composio_account_id) {
    execution.connectedAccountId = binding.composio_account_id;
  } else if (binding.secret_encrypted) {
    if (!binding.api_key_header) {
      return refuse(
        'api_key_unsupported',
        `Switchboard cannot pass ${binding.label} API keys to Composio; choose an OAuth2 account for ${binding.label} instead.`,
      );
    }
    // Decrypted only here, for this call; it goes to Composio and nowhere else.
    secret = decryptSecret(deps.encryptionKey, binding.secret_encrypted);
    execution.customAuth = { parameters: [{ name: binding.api_key_header, in: 'header', value: `${binding.api_key_prefix}${secret}` }] };
  }
  try {
    const result = await composio.executeTool(name, execution);
    if (!result.successful)
      return {
        ok: false,
        reason: 'tool_failed',
        text: withoutSecret(`${binding.label} reported an error: ${result.error ?? 'no reason given'}`, secret),
      };
    return { ok: true, text: withoutSecret(JSON.stringify(result.data ?? null), secret) };
  } catch (error) {
    if (!(error instanceof ComposioError)) throw error;
    const reason = error.code === 'timeout' ? 'composio_timeout' : 'composio_error';
    const message = error.message.trim();
    return {
      ok: false,
      reason,
      text: withoutSecret(`Composio could not run ${name}: ${/[.!?]$/.test(message) ? message : `${message}.`}`, secret),
    };
  }
}

/** A key must not come back even if an upstream error message quotes it. */
function withoutSecret(text: string, secret: string | null): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}

function connectionProblemText(label: string, problem: string): string {
  switch (problem) {
    case 'missing':
      return `${label} has no connection on this assistant any more (its API key or account was deleted)`;
    case 'revoked':
      return `${label}'s connection for this assistant was revoked`;
    case 'gone':
      return `${label}'s account is no longer in Composio`;
    case 'disabled':
      return `${label} is disabled for this team in Switchboard`;
    case 'disabled_in_composio':
      return `${label}'s account is disabled in Composio`;
    case 'expired':
      return `${label}'s account has expired in Composio and needs to be reconnected`;
    default:
      return `${label}'s account is ${problem} in Composio, not active`;
  }
}
