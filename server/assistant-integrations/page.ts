import type { Request, Response } from 'express';
import { composioLocals, type ConnectionDeps } from '../connections/routes';
import { howToConnectUrl } from '../connections/key-form-link';
import { accessUrl, mcpUrl } from '../assistant-access/urls';
import { AUTH_CHOICES, applyFilter, carriedFilter, categoriesOf, describeFilter, listQuery } from '../filters/integration-filter';
import { idParam } from '../http/ids';
import { htmxTarget, wantsJson } from '../http/negotiate';
import { parse } from '../http/validate';
import { groupByCategory } from '../http/view-helpers';
import { readInTeam, type TeamContext } from '../teams/context';
import { ASSISTANT_STATUS_CHOICES, assistantFilterSchema, assistantFilterable, assistantListQuery } from './filter';
import { filterSchema } from './schemas';
import { integrationJson, loadAssistantPage, loadIntegrationsPage, type Assistant, type IntegrationView } from './service';

/** The filter form swaps only the list (and its count). */
export const LIST_TARGET = 'integration-list';

export function pageUrl(teamId: number, assistantId: number): string {
  return `/app/team/${teamId}/assistant/${assistantId}/integrations`;
}

/**
 * The list filter a change on the page came from, "?q=..&status=.." or "": row forms post with it
 * in their action URL, and the picker (whose own ?q= searches connections) is opened with it in one
 * `filter` field, so the redirect goes back to the list the person was working in. Bad parts are
 * dropped, never refused: the change itself goes ahead.
 */
export function listQueryOf(req: Request): string {
  const { filter } = req.query;
  const source = req.method === 'GET' ? Object.fromEntries(new URLSearchParams(typeof filter === 'string' ? filter : '')) : req.query;
  return assistantListQuery(source);
}

/** What the assistant's page and its picker need besides their data. */
export function setAssistantPageLocals(deps: ConnectionDeps, res: Response): void {
  res.locals.composioConfigured = deps.composio !== null; // the picker offers "Connect an account"
  // Asked for on every row of one page, always with the page's team and assistant: their part is made once.
  let context: { team: TeamContext; assistant: Assistant; link: Parameters<typeof howToConnectUrl>[0] } | undefined;
  res.locals.howToConnectUrl = (team: TeamContext, assistant: Assistant, integration: IntegrationView) => {
    if (context?.team !== team || context.assistant !== assistant) {
      const link = {
        teamId: team.id,
        isAdmin: team.isAdmin,
        composioConfigured: deps.composio !== null,
        returnTo: pageUrl(team.id, assistant.id),
      };
      context = { team, assistant, link };
    }
    return howToConnectUrl(context.link, integration);
  };
}

/**
 * An assistant's page: its integrations, and for HTML its MCP sections (tokens, tool permissions,
 * calls). Shown by GET, and again with 422 by a refused form on it (res.locals.refusedForm).
 */
export async function renderAssistantPage(deps: ConnectionDeps, req: Request, res: Response): Promise<void> {
  setAssistantPageLocals(deps, res);
  const { q } = parse(filterSchema, req.query);
  const assistantId = parse(idParam('assistant id'), req.params.assistantId);
  const json = wantsJson(req);
  // The filter is for people: JSON answers list every integration, whatever the query string.
  // A refused form on the page (a POST) carries its filter; only the page's own GET refuses a bad one.
  const filter = json
    ? null
    : req.method === 'GET'
      ? parse(assistantFilterSchema, req.query)
      : carriedFilter(assistantFilterSchema, req.query);
  const listOnly = htmxTarget(req) === LIST_TARGET;
  const {
    team,
    value: { assistant, integrations, access },
  } = await readInTeam(deps.db, req, async (batch, team) =>
    // The MCP sections (tokens, tool permissions, calls) are on the full HTML page only.
    json || listOnly
      ? { ...(await loadIntegrationsPage(batch, team, assistantId, { withConnections: json })), access: null }
      : await loadAssistantPage(batch, team, assistantId, deps.composio !== null),
  );
  if (json) return void res.json({ assistant, integrations: integrations.map(integrationJson) });
  const shown = applyFilter(integrations, assistantFilterable, filter!);
  res.render(listOnly ? 'assistant-integrations/_filtered' : 'assistant-integrations/page', {
    access,
    accessUrl: accessUrl(team.id, assistant.id),
    mcpUrl: mcpUrl(req, assistant.id),
    title: `${assistant.name} · Integrations`,
    team,
    assistant,
    pageUrl: pageUrl(team.id, assistant.id),
    groups: groupByCategory(shown),
    q,
    filter,
    listQuery: listQuery(filter),
    filterAction: pageUrl(team.id, assistant.id),
    filterSummary: describeFilter(filter!, ASSISTANT_STATUS_CHOICES),
    statusChoices: ASSISTANT_STATUS_CHOICES,
    authChoices: AUTH_CHOICES,
    categories: categoriesOf(integrations),
    shown: shown.length,
    total: integrations.length,
    syncUrl: `${pageUrl(team.id, assistant.id)}/sync`,
    ...composioLocals(deps, team),
  });
}
