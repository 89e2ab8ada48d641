import { Router, type Request, type Response } from 'express';
import { pageUrl as assistantPageUrl } from '../assistant-integrations/routes';
import { ComposioError, composioFailureMessage } from '../composio/types';
import { HttpError } from '../http/errors';
import { redirectWithFlash } from '../http/respond';
import { wantsJson } from '../http/negotiate';
import { parse } from '../http/validate';
import { providerParam } from '../connections/schemas';
import { teamIdOf } from '../teams/context';
import { callbackQuerySchema, startConnectSchema } from './schemas';
import { finishConnect, startConnect, type ConnectDeps } from './service';

// Mounted at /app/team/:teamId/connect (admins; a Connect Link round trip through Composio)
// POST /:provider   start Connect or Reconnect (prompt_id, a legacy field name: come back to that assistant): a page that sends the browser to Composio
// GET  /callback    where Composio sends the person back (?state=...): 303 to the page with a flash

export function connectRoutes(deps: ConnectDeps): Router {
  const router = Router({ mergeParams: true });

  router.post('/:provider', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    const { prompt_id: assistantId } = parse(startConnectSchema, req.body ?? {});
    const teamId = teamIdOf(req);
    const backTo = assistantId ? assistantPageUrl(teamId, assistantId) : teamPageUrl(teamId);
    await withFailureAsFlash(req, res, backTo, async () => {
      const { redirectUrl, label } = await startConnect(deps, {
        userId: req.session.userId!,
        teamId,
        slug,
        sessionId: req.sessionID,
        assistantId: assistantId ?? null,
        callbackUrl: `${req.protocol}://${req.get('host')}/app/team/${teamId}/connect/callback`,
      });
      if (wantsJson(req)) return void res.json({ success: true, redirectUrl });
      // Not a 303: the page's CSP (form-action 'self') stops a form's redirect to another site.
      res.render('connect/redirect', { title: `Connecting ${label}`, redirectUrl, label });
    });
  });

  router.get('/callback', async (req, res) => {
    const { state } = parse(callbackQuerySchema, { state: req.query.state });
    const teamId = teamIdOf(req);
    await withFailureAsFlash(req, res, teamPageUrl(teamId), async () => {
      const outcome = await finishConnect(deps, { userId: req.session.userId!, teamId, state, sessionId: req.sessionID });
      const row = `provider-${outcome.slug}`;
      if (outcome.assistantId === null)
        return redirectWithFlash(req, res, `${teamPageUrl(teamId)}#${row}`, outcome.kind, outcome.message, row);
      // Back to the assistant's picker for this integration, the new account chosen.
      const picker = `${assistantPageUrl(teamId, outcome.assistantId)}/add/${outcome.integrationId}`;
      const to = outcome.connectionId
        ? `${picker}?connection=oauth2:${outcome.connectionId}`
        : assistantPageUrl(teamId, outcome.assistantId);
      await redirectWithFlash(req, res, to, outcome.kind, outcome.message);
    });
  });

  return router;
}

function teamPageUrl(teamId: number): string {
  return `/app/team/${teamId}/integrations`;
}

/** Composio failures and "cannot connect" answers go back to the page as an error flash. */
async function withFailureAsFlash(req: Request, res: Response, backTo: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const composio = error instanceof ComposioError;
    const explained =
      error instanceof HttpError && ['composio_not_configured', 'no_auth_config', 'composio_user_id_changed'].includes(error.code);
    if ((!composio && !explained) || wantsJson(req)) throw error;
    await redirectWithFlash(req, res, backTo, 'error', composio ? composioFailureMessage(error) : (error as HttpError).message);
  }
}
