import { Router, type Request } from 'express';
import type { Database, Tx } from '../db';
import type { ConnectionDeps } from '../connections/routes';
import type { Logger } from '../logger';
import { loadAssistant, type Assistant } from '../assistant-integrations/service';
import { idParam } from '../http/ids';
import { wantsJson } from '../http/negotiate';
import { done, redirectWithFlash } from '../http/respond';
import { parse } from '../http/validate';
import { withTeam, type TeamContext } from '../teams/context';
import { refreshToolkits } from '../mcp/tool-cache';
import { renderAssistantPage } from '../assistant-integrations/page';
import { handleForm } from '../http/form';
import { assistantPageUrl, callsUrl, mcpUrl } from './urls';
import { callsQuerySchema, tokenFormSchema, toolsFormSchema } from './schemas';
import { addedToolkits, createToken, loadCalls, revokeAssistantToken, saveToolPermissions } from './service';

// Mounted at /app/team/:teamId/assistant/:assistantId/mcp; the sections live on the assistant's integrations page.
// POST /tokens                    create a token (name); the answer shows it once (no redirect: it is never stored)
// POST /tokens/:tokenId/revoke    revoke a token
// POST /tools/:integrationId      the tools of one added integration the assistant may use (tools, repeated)
// POST /tools-refresh             fetch the added integrations' tool lists from Composio again
// GET  /calls                     every tool call, newest first (?before=<id> for older ones)

export function assistantAccessRoutes(deps: ConnectionDeps & { logger: Logger }): Router {
  const { db } = deps;
  const router = Router({ mergeParams: true });

  router.post('/tokens', async (req, res) => {
    await handleForm(
      req,
      res,
      { name: 'token-form', keep: ['name'], mainField: 'name', render: () => renderAssistantPage(deps, req, res) },
      async () => {
        const form = parse(tokenFormSchema, req.body ?? {});
        const { team, assistant, token } = await inAssistant(db, req, async (tx, team, assistant) => ({
          team,
          assistant,
          token: await createToken(tx, team, assistant, form.name),
        }));
        res.setHeader('Cache-Control', 'no-store');
        if (wantsJson(req)) return void res.status(201).json({ success: true, token });
        res.status(201).render('assistant-access/token-created', {
          title: `New token for ${assistant.name}`,
          team,
          assistant,
          token,
          mcpUrl: mcpUrl(req, assistant.id),
          backUrl: assistantPageUrl(team.id, assistant.id),
        });
      },
    );
  });

  router.post('/tokens/:tokenId/revoke', async (req, res) => {
    const tokenId = parse(idParam('token id'), req.params.tokenId);
    const { to, result } = await inAssistant(db, req, async (tx, team, assistant) => ({
      to: assistantPageUrl(team.id, assistant.id),
      result: await revokeAssistantToken(tx, team, assistant, tokenId),
    }));
    await done(req, res, {
      to,
      row: 'mcp-access',
      kind: result.revoked ? 'success' : 'info',
      message: result.message,
      json: { revoked: result.revoked },
    });
  });

  router.post('/tools/:integrationId', async (req, res) => {
    const integrationId = parse(idParam('integration id'), req.params.integrationId);
    // A refused save (a tool list that changed since the page was loaded) shows the page again, saying why.
    await handleForm(
      req,
      res,
      { name: `tools-${integrationId}-form`, keep: [], render: () => renderAssistantPage(deps, req, res) },
      async () => {
        const form = parse(toolsFormSchema, req.body ?? {});
        const { to, message } = await inAssistant(db, req, async (tx, team, assistant) => ({
          to: assistantPageUrl(team.id, assistant.id),
          message: await saveToolPermissions(tx, team, assistant, integrationId, form.tools, deps.composio !== null),
        }));
        await done(req, res, { to, row: `tools-${integrationId}`, message });
      },
    );
  });

  router.post('/tools-refresh', async (req, res) => {
    const { to, toolkits } = await inAssistant(db, req, async (tx, team, assistant) => ({
      to: `${assistantPageUrl(team.id, assistant.id)}#mcp-tools`,
      toolkits: await addedToolkits(tx, team, assistant.id),
    }));
    const userId = req.session.userId!;
    const { refreshed, failed } = await refreshToolkits({ composio: deps.composio, logger: req.log }, toolkits, (fn) =>
      db.withUser(userId, fn),
    );
    const message = !deps.composio
      ? 'Composio is not configured on this server, so there are no tool lists to fetch.'
      : failed.length > 0
        ? `Could not fetch every tool list from Composio (${failed.map((f) => `${f.toolkit}: ${f.reason}`).join('; ')}). The lists fetched before are kept.`
        : `Fetched the tool lists of ${refreshed.length} ${refreshed.length === 1 ? 'integration' : 'integrations'} from Composio.`;
    if (wantsJson(req))
      return void res
        .status(failed.length ? 502 : 200)
        .json({ success: failed.length === 0, message, refreshed, failed: failed.map((f) => f.toolkit) });
    await redirectWithFlash(req, res, to, failed.length || !deps.composio ? 'error' : 'success', message);
  });

  router.get('/calls', async (req, res) => {
    const { before } = parse(callsQuerySchema, req.query);
    const view = await inAssistant(db, req, async (tx, team, assistant) => ({
      team,
      assistant,
      ...(await loadCalls(tx, team, assistant.id, before ?? null)),
    }));
    if (wantsJson(req)) return void res.json({ calls: view.calls, more: view.more });
    res.render('assistant-access/calls', {
      title: `Tool calls of ${view.assistant.name}`,
      ...view,
      backUrl: assistantPageUrl(view.team.id, view.assistant.id),
      callsUrl: callsUrl(view.team.id, view.assistant.id),
    });
  });

  return router;
}

/** One transaction as the signed-in user with the URL's team and assistant loaded (404 for other teams'). */
function inAssistant<T>(db: Database, req: Request, fn: (tx: Tx, team: TeamContext, assistant: Assistant) => Promise<T>): Promise<T> {
  const assistantId = parse(idParam('assistant id'), req.params.assistantId);
  return withTeam(db, req, async (tx, team) => fn(tx, team, await loadAssistant(tx, team, assistantId)));
}

export { accessUrl, assistantPageUrl, callsUrl, mcpUrl } from './urls';
