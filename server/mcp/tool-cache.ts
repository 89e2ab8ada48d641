import type { Tx } from '../db';
import type { Logger } from '../logger';
import type { ComposioGateway } from '../composio/types';
import { lockToolCache, replaceCachedTools, type ToolRow, type ToolSource } from './queries';

/** Composio's tool definitions are fetched again when the cached ones are older than this. */
export const TOOL_CACHE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Toolkits of these integrations whose cached definitions are missing or older than a day. */
export function staleToolkits(sources: Pick<ToolSource, 'tools_toolkit' | 'fetched_at'>[], now = Date.now()): string[] {
  const stale = sources
    .filter((s) => s.tools_toolkit && (!s.fetched_at || now - new Date(s.fetched_at).getTime() > TOOL_CACHE_MAX_AGE_MS))
    .map((s) => s.tools_toolkit!);
  return [...new Set(stale)];
}

/**
 * Fetches these toolkits' tools from Composio (no transaction held meanwhile) and stores the ones
 * that arrived in one transaction. A toolkit Composio fails to list keeps its cached tools.
 * Returns the toolkits refreshed and, for each failure, Composio's reason.
 */
export async function refreshToolkits(
  deps: { composio: ComposioGateway | null; logger: Logger },
  toolkits: string[],
  /** The transaction to write in: the MCP request's scope, or the signed-in admin's. */
  inTransaction: (fn: (tx: Tx) => Promise<void>) => Promise<void>,
): Promise<{ refreshed: string[]; failed: { toolkit: string; reason: string }[] }> {
  if (!deps.composio || toolkits.length === 0) return { refreshed: [], failed: [] };
  const composio = deps.composio;
  const results = await Promise.allSettled(toolkits.map((toolkit) => composio.listTools(toolkit)));
  const rows: ToolRow[] = [];
  const refreshed: string[] = [];
  const failed: { toolkit: string; reason: string }[] = [];
  results.forEach((result, index) => {
    const toolkit = toolkits[index]!;
    if (result.status === 'rejected') {
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      deps.logger.warn({ toolkit, reason }, 'Could not refresh Composio tools; serving the cached ones');
      failed.push({ toolkit, reason });
      return;
    }
    refreshed.push(toolkit);
    result.value.forEach((tool, position) => rows.push({ toolkit, ...tool, position }));
  });
  if (refreshed.length > 0) {
    await inTransaction(async (tx) => {
      await lockToolCache(tx);
      await replaceCachedTools(tx, refreshed, rows);
    });
  }
  return { refreshed, failed };
}
