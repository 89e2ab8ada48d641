import { Router, type Request, type Response } from 'express';
import type { Config } from '../config';
import type { Database } from '../db';
import type { ComposioGateway } from '../composio/types';
import { ComposioError, composioFailureMessage } from '../composio/types';
import { revokeIntegration } from '../composio/revoke';
import { describeLosses, previewSyncLosses, syncJson, syncMessage, syncTeam } from '../composio/sync';
import { HttpError } from '../http/errors';
import { handleForm } from '../http/form';
import { idParam } from '../http/ids';
import { htmxTarget, wantsJson } from '../http/negotiate';
import { done, redirectWithFlash } from '../http/respond';
import { parse } from '../http/validate';
import { groupByCategory } from '../http/view-helpers';
import { readInTeam, requireAdmin, teamIdOf, withTeam, type TeamContext } from '../teams/context';
import { assistantListQuery } from '../assistant-integrations/filter';
import { applyFilter, carriedFilter, categoriesOf, describeFilter, listQuery } from '../filters/integration-filter';
import {
  TEAM_AUTH_CHOICES,
  TEAM_STATUS_CHOICES,
  apiKeyFilterable,
  teamIntegrationFilterable,
  teamFilterSchema,
  teamListQuery,
} from './filter';
import { assistantReturnPath, pickerWithKeyUrl } from './key-form-link';
import { apiKeySchema, pageQuerySchema, providerParam, syncSchema, toggleSchema } from './schemas';
import {
  addApiKey,
  loadApiKey,
  loadApiKeysPage,
  loadConnectionsPage,
  loadDisableConfirmation,
  loadTeamIntegration,
  loadTeamIntegrations,
  teamIntegrationsJson,
  removeApiKey,
  toggleIntegration,
} from './service';

// Mounted at /app/team/:teamId/integrations (HTML forms; each change answers 303 back with a flash)
// GET  /                          the team's connections (?q=&status=&auth=&category= filter the HTML;
//                                  ?add_key=<provider>&return_to=<assistant page> opens that add-key form)
// GET  /:provider/connect         how to connect: a page, or the dialog fragment for htmx
// POST /sync                      sync from Composio (confirm=yes when it would remove every connection)
// GET  /sync/confirm              confirmation: Composio listed no accounts
// POST /:provider/toggle          enable or disable here (enabled=true|false; confirm=yes to disable one assistants use;
//                                  return_to: the assistant page an Enable came from, to go back to)
// GET  /:provider/disable         confirmation, naming the assistants that use it
// GET  /:provider/revoke          confirmation
// POST /:provider/revoke          revoke in Composio
// GET  /:provider/api-keys        all of a provider's API keys, a page at a time (?page=)
// POST /:provider/api-keys        add an API key (label, key; return_to: back to that assistant's picker)
// GET  /api-keys/:keyId/delete    confirmation
// POST /api-keys/:keyId/delete    delete an API key
// Row forms, and the confirmation pages they lead to, carry the list's ?q=&status=&auth=&category= in
// their URLs: each change goes back to the filtered list the person was working in.
// (The team's Composio user id is not chosen here: it is generated, or bound by an operator with
// npm run team:composio. See docs/decisions/013-team-composio-user-id.md.)

export const CONNECT_TARGET = 'connect-body';
/** The filter form swaps only the list of integrations and API keys (and its count). */
const LIST_TARGET = 'integration-list';

export interface ConnectionDeps {
  config: Config;
  db: Database;
  composio: ComposioGateway | null;
}

export function connectionRoutes(deps: ConnectionDeps): Router {
  const { db, config } = deps;
  const router = Router({ mergeParams: true });

  router.get('/', async (req, res) => {
    if (wantsJson(req)) {
      // The filter is for people: the JSON answer lists every integration, whatever the query string.
      return sendTeamIntegrationsJson(deps, req, res);
    }
    await showTeamPage(deps, req, res);
  });

  router.get('/:provider/connect', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    const { team, provider } = await withTeam(db, req, async (tx, team) => ({ team, provider: await loadTeamIntegration(tx, team, slug) }));
    const view = htmxTarget(req) === CONNECT_TARGET ? 'connections/_connect' : 'connections/connect';
    res.render(view, { title: `Connect ${provider.label}`, team, provider, ...composioLocals(deps, team) });
  });

  router.post('/sync', async (req, res) => {
    await runSync(deps, req, res, teamPageUrl(req));
  });

  router.get('/sync/confirm', async (req, res) => {
    await withComposioFailureAsFlash(req, res, teamPageUrl(req), async () => {
      const { team, losses } = await previewSyncLosses(
        { db, composio: deps.composio, logger: req.log },
        req.session.userId!,
        teamIdOf(req),
      );
      const title = !losses
        ? 'Sync from Composio'
        : losses.removesEverything
          ? 'Remove every connection?'
          : 'Take connections away from assistants?';
      res.render('connections/sync-confirm', { title, team, losses, describeLosses, ...composioLocals(deps, team) });
    });
  });

  router.post('/:provider/toggle', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    const { enabled, confirm } = parse(toggleSchema, req.body ?? {});
    try {
      const message = await withTeam(db, req, (tx, team) => toggleIntegration(tx, team, slug, enabled, confirm));
      // Enable on an assistant's "Connection lost" row comes back to that assistant's list, at the row.
      const assistantPage = enabled
        ? assistantReturnPath((req.body as Record<string, unknown> | undefined)?.return_to, teamIdOf(req))
        : null;
      await done(
        req,
        res,
        assistantPage
          ? {
              to: assistantPage + assistantListQuery(req.query),
              row: `integration-${slug}`,
              message,
              json: { enabled },
            }
          : { to: listPageUrl(req), row: `provider-${slug}`, message, json: { enabled } },
      );
    } catch (error) {
      if (!isConfirmationRequired(error) || wantsJson(req)) throw error;
      res.redirect(303, `${teamPageUrl(req)}/${slug}/disable${teamListQuery(req.query)}`);
    }
  });

  router.get('/:provider/disable', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    const { team, view } = await withTeam(db, req, async (tx, team) => ({ team, view: await loadDisableConfirmation(tx, team, slug) }));
    res.render('connections/disable', { title: `Disable ${view.provider.label}`, team, ...view, listQuery: teamListQuery(req.query) });
  });

  router.get('/:provider/revoke', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    const { team, provider } = await withTeam(db, req, async (tx, team) => {
      requireAdmin(team, 'revoke connections');
      return { team, provider: await loadTeamIntegration(tx, team, slug) };
    });
    res.render('connections/revoke', { title: `Revoke ${provider.label}`, team, provider, listQuery: teamListQuery(req.query) });
  });

  router.post('/:provider/revoke', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    await withComposioFailureAsFlash(req, res, listPageUrl(req), async () => {
      const outcome = await revokeIntegration(deps, req.session.userId!, teamIdOf(req), slug);
      await done(req, res, {
        to: listPageUrl(req),
        row: `provider-${slug}`,
        kind: outcome.complete ? 'success' : 'error',
        message: outcome.message,
      });
    });
  });

  router.get('/:provider/api-keys', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    const { page } = parse(pageQuerySchema, req.query);
    const { team, list } = await withTeam(db, req, async (tx, team) => ({ team, list: await loadApiKeysPage(tx, slug, team, page) }));
    res.render('connections/api-keys', { title: `${list.integration.label} API keys · ${team.name}`, team, ...list });
  });

  router.post('/:provider/api-keys', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    // From an assistant's "How to connect": back to its picker with the new key chosen.
    const returnTo = assistantReturnPath((req.body as Record<string, unknown> | undefined)?.return_to, teamIdOf(req));
    // Refused: the page again with this form open; the key itself is never shown again, not even to the person who typed it.
    const render = () => showTeamPage(deps, req, res, { openKeyForm: slug, returnTo });
    await handleForm(req, res, { name: `add-key-${slug}`, keep: ['label'], render }, async () => {
      const form = parse(apiKeySchema, req.body ?? {});
      const added = await withTeam(db, req, (tx, team) => addApiKey(tx, team, slug, form, config.encryptionKey));
      const back = returnTo
        ? { to: pickerWithKeyUrl(returnTo, added.integrationId, added.keyId) }
        : { to: listPageUrl(req), row: `api-keys-${slug}` };
      await done(req, res, { ...back, message: added.message });
    });
  });

  router.get('/api-keys/:keyId/delete', async (req, res) => {
    const keyId = parse(idParam('API key id'), req.params.keyId);
    const { team, key } = await withTeam(db, req, async (tx, team) => ({ team, key: await loadApiKey(tx, team, keyId) }));
    res.render('connections/api-key-delete', { title: `Delete ${key.label}`, team, key, listQuery: teamListQuery(req.query) });
  });

  router.post('/api-keys/:keyId/delete', async (req, res) => {
    const keyId = parse(idParam('API key id'), req.params.keyId);
    const { message, integration } = await withTeam(db, req, (tx, team) => removeApiKey(tx, team, keyId));
    await done(req, res, { to: listPageUrl(req), row: `api-keys-${integration}`, message });
  });

  return router;
}

/**
 * The team page, filtered (?q=&status=&auth=&category=); the filter form's htmx request gets only the
 * list. A refused add-key form shows it again open, still on its way back to the assistant.
 */
async function showTeamPage(
  deps: ConnectionDeps,
  req: Request,
  res: Response,
  refused?: { openKeyForm: string; returnTo: string | null },
): Promise<void> {
  // A refused add-key form carries the list's filter; only the page's own GET refuses a bad one.
  const filter = refused ? carriedFilter(teamFilterSchema, req.query) : parse(teamFilterSchema, req.query);
  const { team, value } = await readInTeam(deps.db, req, (batch, team) => loadConnectionsPage(batch, team));
  const view = { team, ...value };
  const providers = applyFilter(view.providers, teamIntegrationFilterable, filter);
  const apiKeyIntegrations = applyFilter(view.apiKeyIntegrations, apiKeyFilterable, filter);
  const openKeyForm = refused?.openKeyForm ?? providerParam.safeParse(req.query.add_key).data ?? null;
  res.render(htmxTarget(req) === LIST_TARGET ? 'connections/_filtered' : 'connections/page', {
    title: `Integrations · ${view.team.name}`,
    ...view,
    providerGroups: groupByCategory(providers),
    apiKeyIntegrations,
    openKeyForm,
    returnTo: refused ? refused.returnTo : openKeyForm ? assistantReturnPath(req.query.return_to, view.team.id) : null,
    filter,
    listQuery: listQuery(filter),
    filterAction: teamPageUrl(req),
    filterSummary: describeFilter(filter, TEAM_STATUS_CHOICES),
    statusChoices: TEAM_STATUS_CHOICES,
    authChoices: TEAM_AUTH_CHOICES,
    categories: categoriesOf([...view.providers, ...view.apiKeyIntegrations]),
    shown: providers.length + apiKeyIntegrations.length,
    total: view.providers.length + view.apiKeyIntegrations.length,
    ...composioLocals(deps, view.team),
  });
}

/** The team's integrations as JSON (GET /api/teams/:teamId/integrations, and the team page asked for JSON). */
export async function sendTeamIntegrationsJson(deps: ConnectionDeps, req: Request, res: Response): Promise<void> {
  const { team, value: integrations } = await readInTeam(deps.db, req, (batch, team) => loadTeamIntegrations(batch, team));
  res.json(teamIntegrationsJson(team, integrations, deps.composio !== null));
}

export function composioLocals(deps: ConnectionDeps, team: TeamContext) {
  return {
    composioConfigured: deps.composio !== null,
    composioUserId: team.composioUserId,
    dashboardUrl: deps.config.composio.dashboardUrl,
  };
}

/**
 * Sync from a form (the team page or an assistant's page): 303 back with the summary, or with
 * what went wrong; JSON clients get the summary or the error with its status.
 */
export async function runSync(deps: ConnectionDeps, req: Request, res: Response, backTo: string): Promise<void> {
  const { confirm } = parse(syncSchema, req.body ?? {});
  await withComposioFailureAsFlash(req, res, backTo, async () => {
    let summary;
    try {
      summary = await syncTeam({ db: deps.db, composio: deps.composio, logger: req.log }, req.session.userId!, teamIdOf(req), confirm);
    } catch (error) {
      if (!isConfirmationRequired(error) || wantsJson(req)) throw error;
      return void res.redirect(303, `${teamPageUrl(req)}/sync/confirm`);
    }
    if (wantsJson(req)) return void res.json(syncJson(summary));
    await redirectWithFlash(req, res, backTo, 'success', syncMessage(summary));
  });
}

function isConfirmationRequired(error: unknown): boolean {
  return error instanceof HttpError && error.code === 'confirmation_required';
}

/**
 * Composio failures and answers a person can only wait out or fix elsewhere (not configured,
 * nothing to revoke) go back to the page as an error flash; JSON clients get { error, message }
 * from the error handler.
 */
async function withComposioFailureAsFlash(req: Request, res: Response, backTo: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const composio = error instanceof ComposioError;
    const retryLater = error instanceof HttpError && (error.code === 'composio_not_configured' || error.code === 'not_connected');
    if (!composio && !retryLater) throw error;
    if (wantsJson(req)) throw error; // the error handler answers { error, message } with the status
    await redirectWithFlash(req, res, backTo, 'error', composio ? composioFailureMessage(error) : (error as HttpError).message);
  }
}

function teamPageUrl(req: Request): string {
  return `/app/team/${teamIdOf(req)}/integrations`;
}

/** The team page with the filter the change came from. */
function listPageUrl(req: Request): string {
  return teamPageUrl(req) + teamListQuery(req.query);
}
