import { Router, type Request, type Response } from 'express';
import type { Database } from '../db';
import { retryOnceOnConflict } from '../db/retry';
import { runSync, type ConnectionDeps } from '../connections/routes';
import { HttpError } from '../http/errors';
import { handleForm } from '../http/form';
import { idParam } from '../http/ids';
import { htmxTarget, wantsJson } from '../http/negotiate';
import { done } from '../http/respond';
import { InputError, parse } from '../http/validate';
import { readInTeam, withTeam, type TeamContext } from '../teams/context';
import { LIST_TARGET, listQueryOf, pageUrl, renderAssistantPage, setAssistantPageLocals } from './page';
import { addFormSchema, bulkFormSchema, connectionRefSchema, filterSchema } from './schemas';
import {
  addIntegration,
  addMessage,
  integrationJson,
  loadAssistant,
  loadAssistantForUpdate,
  loadPicker,
  removeIntegration,
  replaceIntegrations,
  type Assistant,
  type Choice,
  type IntegrationView,
} from './service';

export { LIST_TARGET, pageUrl };

// Mounted at /app/team/:teamId/assistant/:assistantId/integrations
// GET  /                      the page (JSON with Accept: application/json); ?q=&status=&auth=&category= filter the HTML
// GET  /add/:integrationId    connection picker: a page, or the dialog fragment for htmx (?filter=<the list's query>)
// POST /add/:integrationId    add, or switch connection (api_connection_id | oauth2_connection_id)
// POST /remove/:integrationId remove
// (Row forms post to ...?q=&status=&auth=&category=, the list's filter, and are sent back to it.)
// POST /                      legacy bulk form (integration_ids, connection_<id>)
// POST /sync                  sync the team's connections from Composio, back to this page

export const PICKER_TARGET = 'picker-body';

export function assistantIntegrationRoutes(deps: ConnectionDeps): Router {
  const { db } = deps;
  const router = Router({ mergeParams: true });
  router.use((_req, res, next) => {
    setAssistantPageLocals(deps, res);
    next();
  });

  router.get('/', async (req, res) => {
    await renderAssistantPage(deps, req, res);
  });

  router.get('/add/:integrationId', async (req, res) => {
    const integrationId = parse(idParam('integration id'), req.params.integrationId);
    const { q } = parse(filterSchema, req.query);
    // ?connection=oauth2:<id> | api:<id>: the account just connected from this picker, or the key just
    // added from "How to connect", chosen for the person and listed first however many the team has.
    const preselect = connectionRefSchema.safeParse(req.query.connection);
    res.locals.preselectConnection = preselect.success ? String(req.query.connection) : null;
    renderPicker(req, res, await loadPickerView(db, req, integrationId, q, preselect.data ?? null));
  });

  router.post('/add/:integrationId', async (req, res) => {
    const integrationId = parse(idParam('integration id'), req.params.integrationId);
    // A refused choice shows the picker again, with what to fix beside the connections.
    const render = async () => renderPicker(req, res, { ...(await loadPickerView(db, req, integrationId, '')) });
    await handleForm(req, res, { name: 'picker-form', keep: ['connection'], mainField: 'connection', render }, async () => {
      const choice = choiceFrom(parse(addFormSchema, req.body ?? {}));
      const { team, assistant, outcome } = await changeInTeam(db, req, async (tx, team) => {
        const assistant = await loadAssistantForUpdate(tx, team, assistantIdOf(req));
        return {
          team,
          assistant,
          outcome: await addIntegration(tx, team, assistant, integrationId, choice, { withConnections: wantsJson(req) }),
        };
      });
      await done(req, res, {
        to: pageUrl(team.id, assistant.id) + listQueryOf(req),
        row: `integration-${outcome.integration.slug}`,
        kind: outcome.change === 'unchanged' ? 'info' : 'success',
        message: addMessage(outcome, assistant),
        json: {
          change: outcome.change,
          integration: { ...integrationJson(outcome.integration), added: true, status: 'added', connection: outcome.connection },
        },
      });
    });
  });

  router.post('/remove/:integrationId', async (req, res) => {
    const integrationId = parse(idParam('integration id'), req.params.integrationId);
    const { team, assistant, result } = await changeInTeam(db, req, async (tx, team) => {
      const assistant = await loadAssistantForUpdate(tx, team, assistantIdOf(req));
      return { team, assistant, result: await removeIntegration(tx, team, assistant, integrationId) };
    });
    const { integration, ...json } = result;
    await done(req, res, {
      to: pageUrl(team.id, assistant.id) + listQueryOf(req),
      row: `integration-${integration}`,
      kind: result.removed ? 'success' : 'info',
      message: result.message,
      json,
    });
  });

  router.post('/sync', async (req, res) => {
    // Another team's or a missing assistant is a 404 before anything is synced.
    const { team, assistant } = await inTeam(db, req, async (tx, team) => ({
      team,
      assistant: await loadAssistant(tx, team, assistantIdOf(req)),
    }));
    await runSync(deps, req, res, pageUrl(team.id, assistant.id));
  });

  router.post('/', async (req, res) => {
    const form = parse(bulkFormSchema, req.body ?? {});
    const { team, assistant, result } = await changeInTeam(db, req, async (tx, team) => {
      const assistant = await loadAssistantForUpdate(tx, team, assistantIdOf(req));
      return {
        team,
        assistant,
        result: await replaceIntegrations(tx, team, assistant, form.integration_ids, req.body as Record<string, unknown>),
      };
    });
    await done(req, res, { to: pageUrl(team.id, assistant.id), message: bulkMessage(result, assistant), json: result });
  });

  return router;
}

function choiceFrom(form: { api_connection_id?: number; oauth2_connection_id?: number; connection?: string }): Choice | null {
  const choices: Choice[] = [];
  if (form.api_connection_id) choices.push({ kind: 'api_key', id: form.api_connection_id });
  if (form.oauth2_connection_id) choices.push({ kind: 'oauth2', id: form.oauth2_connection_id });
  if (form.connection !== undefined) {
    const ref = connectionRefSchema.safeParse(form.connection);
    if (!ref.success) {
      const message = `connection ${ref.error.issues[0]!.message}.`;
      throw new InputError(400, message, { connection: message });
    }
    choices.push(ref.data);
  }
  if (choices.length > 1) throw new HttpError(422, 'Choose one connection, not two.');
  return choices[0] ?? null;
}

function inTeam<T>(db: Database, req: Request, fn: Parameters<typeof withTeam<T>>[2]): Promise<T> {
  assistantIdOf(req); // a malformed assistant id is a 400 before any query runs
  return withTeam(db, req, fn);
}

/** A change: the same, run once more if PostgreSQL aborted it as a deadlock or serialization victim. */
function changeInTeam<T>(db: Database, req: Request, fn: Parameters<typeof withTeam<T>>[2]): Promise<T> {
  return retryOnceOnConflict(() => inTeam(db, req, fn));
}

function assistantIdOf(req: Request): number {
  return parse(idParam('assistant id'), req.params.assistantId);
}

/** The picker's data: one integration with its first usable connections matching q, 404 if there is no such one. */
async function loadPickerView(db: Database, req: Request, integrationId: number, q: string, preselect: Choice | null = null) {
  const assistantId = assistantIdOf(req);
  const { team, value } = await readInTeam(db, req, (batch, team) => loadPicker(batch, team, assistantId, integrationId, q, preselect));
  return { team, q, ...value };
}

function renderPicker(
  req: Request,
  res: Response,
  view: { team: TeamContext; assistant: Assistant; integration: IntegrationView; connectionsMatching: number; q: string },
) {
  const locals = {
    ...view,
    title: `Add ${view.integration.label} to ${view.assistant.name}`,
    pageUrl: pageUrl(view.team.id, view.assistant.id),
    listQuery: listQueryOf(req),
  };
  const fragment = htmxTarget(req) === PICKER_TARGET;
  res.render(fragment ? 'assistant-integrations/_picker' : 'assistant-integrations/picker', locals);
}

function bulkMessage(result: { added: string[]; removed: string[]; switched: string[] }, assistant: Assistant): string {
  const parts = [
    result.added.length ? `added ${result.added.join(', ')}` : '',
    result.switched.length ? `changed the connection of ${result.switched.join(', ')}` : '',
    result.removed.length ? `removed ${result.removed.join(', ')}` : '',
  ].filter(Boolean);
  if (!parts.length) return `${assistant.name}'s integrations are unchanged.`;
  return `Saved ${assistant.name}: ${parts.join('; ')}.`;
}
