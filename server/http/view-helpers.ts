import type { RequestHandler } from 'express';
import type { Config } from '../config';

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** Small formatting helpers and page-wide values every template may use. */
export function setUpViewHelpers(config: Config): RequestHandler {
  return (req, res, next) => {
    res.locals.signedIn = Boolean(req.session?.userId);
    res.locals.demoMode = config.demoMode;
    res.locals.formatDate = (value: Date | string | null) => (value ? `${dateTime.format(new Date(value))} UTC` : '');
    res.locals.plural = plural;
    res.locals.timeAgo = timeAgo;
    res.locals.describeAudit = describeAudit;
    next();
  };
}

const auditTexts: Record<string, (target: string, details: Record<string, unknown>) => string> = {
  'composio.synced': (_t, d) => `${d.kind === 'automatic' ? 'Background sync' : 'Synced from Composio'}: ${count(d.added)} added, ${count(d.removed)} removed, ${count(d.unchanged)} unchanged`,
  'connection.enabled': (t) => `Enabled ${t}`,
  'connection.disabled': (t) => `Disabled ${t}`,
  'connection.connected': (t, d) => `Connected ${t}${d.account ? ` (${String(d.account)})` : ''}`,
  'connection.expired': (t, d) => `${t}${d.account ? ` (${String(d.account)})` : ''} expired in Composio${d.reason ? `: ${String(d.reason)}` : ''}`,
  'connection.revoked': (t, d) => (Number(d.refused) > 0 ? `Revoked ${plural(Number(d.accounts), `${t} account`)}; Composio refused ${Number(d.refused)}` : `Revoked ${t}`),
  'connection.assistants_moved': (t, d) => `Moved ${plural(Number(d.count), 'assistant')} of ${t}`,
  'api_key.added': (t) => `Added API key ${t}`,
  'api_key.removed': (t) => `Deleted API key ${t}`,
  'settings.composio_user_id': (t) => `Set the Composio user id to ${t}`,
  'composio.user_id_assigned': (t, d) => `Given its own Composio user id ${t}${d.previous ? ` (it shared ${String(d.previous)} with another team)` : ''}`,
  'composio.user_id_bound': (t, d) => `An operator bound Composio user id ${t}${d.previous ? ` (was ${String(d.previous)})` : ''}`,
  'assistant.integration_added': (t) => `Added ${t}`,
  'assistant.integration_switched': (t) => `Changed the connection of ${t}`,
  'assistant.integration_removed': (t) => `Removed ${t}`,
  'assistant.integrations_replaced': (t) => `Saved the integrations of ${t}`,
  'assistant.created': (t) => `Created assistant ${t}`,
  'assistant.renamed': (t, d) => `Renamed assistant ${String(d.from ?? '')} to ${t}`,
  'assistant.deleted': (t) => `Deleted assistant ${t}`,
};

/** "just now", "3 minutes ago", "2 hours ago", "4 days ago". */
export function timeAgo(value: Date | string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - new Date(value).getTime()) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${plural(minutes, 'minute')} ago`;
  if (minutes < 48 * 60) return `${plural(Math.floor(minutes / 60), 'hour')} ago`;
  return `${plural(Math.floor(minutes / 1440), 'day')} ago`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const count = (value: unknown) => (Array.isArray(value) ? value.length : 0);

/** Items grouped by their category, in the order the categories first appear (the catalog's order). */
export function groupByCategory<T extends { category: string }>(items: T[]): { category: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.category, [...(groups.get(item.category) ?? []), item]);
  return [...groups].map(([category, grouped]) => ({ category, items: grouped }));
}

/** One line of "Recent activity" for an audit event. */
export function describeAudit(event: { action: string; target: string; details: Record<string, unknown> }): string {
  return auditTexts[event.action]?.(event.target, event.details ?? {}) ?? `${event.action}: ${event.target}`;
}
