import type { RequestHandler } from 'express';
import type { Config } from '../config';
import { plural } from '../text/plural';
import { formView, type RefusedForm } from './form';

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** Small formatting helpers and page-wide values every template may use. */
export function setUpViewHelpers(config: Config): RequestHandler {
  return (req, res, next) => {
    res.locals.signedIn = Boolean(req.session?.userId);
    res.locals.demoMode = config.demoMode;
    res.locals.formatDate = (value: Date | string | null) => (value ? `${dateTime.format(new Date(value))} UTC` : '');
    res.locals.plural = plural;
    res.locals.timeAgo = timeAgo;
    res.locals.when = when;
    res.locals.describeAudit = describeAudit;
    res.locals.formState = (name: string, ids?: Record<string, string>) =>
      formView(res.locals.refusedForm as RefusedForm | undefined, name, ids);
    next();
  };
}

const auditTexts: Record<string, (target: string, details: Record<string, unknown>) => string> = {
  'composio.synced': (_t, d) =>
    `${d.kind === 'automatic' ? 'Background sync' : 'Synced from Composio'}: ${count(d.added)} added, ${count(d.removed)} removed, ${count(d.unchanged)} unchanged`,
  'connection.enabled': (t) => `Enabled ${t}`,
  'connection.disabled': (t) => `Disabled ${t}`,
  'connection.connected': (t, d) => `Connected ${t}${d.account ? ` (${String(d.account)})` : ''}`,
  'connection.expired': (t, d) =>
    `${t}${d.account ? ` (${String(d.account)})` : ''} expired in Composio${d.reason ? `: ${String(d.reason)}` : ''}`,
  'connection.revoked': (t, d) =>
    Number(d.refused) > 0 ? `Revoked ${plural(Number(d.accounts), `${t} account`)}; Composio refused ${Number(d.refused)}` : `Revoked ${t}`,
  'connection.assistants_moved': (t, d) => `Moved ${plural(Number(d.count), 'assistant')} of ${t}`,
  'api_key.added': (t) => `Added API key ${t}`,
  'api_key.removed': (t) => `Deleted API key ${t}`,
  'settings.composio_user_id': (t) => `Set the Composio user id to ${t}`,
  'composio.user_id_assigned': (t, d) =>
    `Given its own Composio user id ${t}${d.previous ? ` (it shared ${String(d.previous)} with another team)` : ''}`,
  'composio.user_id_bound': (t, d) => `An operator bound Composio user id ${t}${d.previous ? ` (was ${String(d.previous)})` : ''}`,
  'assistant.integration_added': (t, d) => `Added ${onAssistant(t, d, 'to')}${d.connection ? ` using ${String(d.connection)}` : ''}`,
  'assistant.integration_switched': (t, d) => `Changed the connection of ${onAssistant(t, d, 'on')}${fromTo(d)}`,
  'assistant.integration_removed': (t, d) => `Removed ${onAssistant(t, d, 'from')}`,
  'assistant.integrations_replaced': (t, d) => `Saved the integrations of ${t}${bulkChanges(d)}`,
  'assistant.token_created': (t, d) => `Created the MCP token ${onAssistant(t, d, 'for', 'token')}`,
  'assistant.token_revoked': (t, d) => `Revoked the MCP token ${onAssistant(t, d, 'of', 'token')}`,
  'assistant.tools_changed': (t, d) => toolsChanged(t, d),
  'assistant.created': (t) => `Created assistant ${t}`,
  'assistant.renamed': (t, d) => `Renamed assistant ${String(d.from ?? '')} to ${t}`,
  'assistant.deleted': (t) => `Deleted assistant ${t}`,
};

/**
 * A moment as people read it: `<time>` with "3 minutes ago", the exact time (UTC) in its title and
 * the instant in `datetime`, which public/js/app.js turns into the viewer's own time zone. HTML:
 * templates print it with `<%-`.
 */
export function when(value: Date | string | null, now = Date.now()): string {
  if (!value) return '';
  const date = new Date(value);
  return `<time datetime="${date.toISOString()}" title="${dateTime.format(date)} UTC">${timeAgo(date, now)}</time>`;
}

/** "just now", "3 minutes ago", "2 hours ago", "4 days ago". */
export function timeAgo(value: Date | string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - new Date(value).getTime()) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${plural(minutes, 'minute')} ago`;
  if (minutes < 48 * 60) return `${plural(Math.floor(minutes / 60), 'hour')} ago`;
  return `${plural(Math.floor(minutes / 1440), 'day')} ago`;
}

const count = (value: unknown) => (Array.isArray(value) ? value.length : 0);
const names = (value: unknown) => (Array.isArray(value) ? value.map(String).join(', ') : '');

/**
 * The integration (or token) and the assistant of an event: from the details recorded since they
 * carry both names; older rows only have the target "Gmail on Sales Assistant".
 */
function itemAndAssistant(target: string, d: Record<string, unknown>, itemKey: string): [string, string | null] {
  const item = d[itemKey];
  if (typeof item === 'string' && typeof d.assistantName === 'string') return [item, d.assistantName];
  const at = target.indexOf(' on ');
  return at > 0 ? [target.slice(0, at), target.slice(at + 4)] : [target, null];
}

/** "Gmail to Sales Assistant" */
function onAssistant(target: string, d: Record<string, unknown>, preposition: string, itemKey = 'integrationLabel'): string {
  const [item, assistant] = itemAndAssistant(target, d, itemKey);
  return assistant ? `${item} ${preposition} ${assistant}` : item;
}

// Rows written before the previous connection was recorded have only the new one.
function fromTo(d: Record<string, unknown>): string {
  const to = typeof d.connection === 'string' ? d.connection : null;
  const from = typeof d.from === 'string' ? d.from : null;
  if (from && to) return ` from ${from} to ${to}`;
  return to ? ` to ${to}` : '';
}

function bulkChanges(d: Record<string, unknown>): string {
  const parts = [
    count(d.added) ? `added ${names(d.added)}` : '',
    count(d.switched) ? `changed the connection of ${names(d.switched)}` : '',
    count(d.removed) ? `removed ${names(d.removed)}` : '',
  ].filter(Boolean);
  return parts.length ? `: ${parts.join('; ')}` : '';
}

/** "Set the Gmail tools of Sales Assistant: 3 of 5 allowed" */
function toolsChanged(target: string, d: Record<string, unknown>): string {
  const allowed = count(d.allowed);
  const [integration, assistant] = itemAndAssistant(target, d, 'integrationLabel');
  return `Set the ${integration} tools${assistant ? ` of ${assistant}` : ''}: ${allowed} of ${allowed + count(d.denied)} allowed`;
}

/** Items grouped by their category, in the order the categories first appear (the catalog's order). */
export function groupByCategory<T extends { category: string }>(items: T[]): { category: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.category);
    if (group) group.push(item);
    else groups.set(item.category, [item]);
  }
  return [...groups].map(([category, grouped]) => ({ category, items: grouped }));
}

/** One line of "Recent activity" for an audit event. */
export function describeAudit(event: { action: string; target: string; details: Record<string, unknown> }): string {
  const text = auditTexts[event.action];
  // An action this version has no words for yet still reads as words, not as a code.
  return text ? text(event.target, event.details ?? {}) : `${event.action.replace(/[._]+/g, ' ')}: ${event.target}`;
}
