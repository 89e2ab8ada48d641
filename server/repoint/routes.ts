import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Database } from '../db';
import { retryOnceOnConflict } from '../db/retry';
import { connectionRefSchema } from '../assistant-integrations/schemas';
import { handleForm } from '../http/form';
import { idParam } from '../http/ids';
import { wantsJson } from '../http/negotiate';
import { done } from '../http/respond';
import { InputError, parse } from '../http/validate';
import { teamIdOf, withTeam, type TeamContext } from '../teams/context';
import { loadSource, moveAll, type ConnectionRef } from './service';
import type { SourceConnection } from './queries';

// Mounted at /app/team/:teamId/integrations/used-by
// GET  /:kind/:connectionId        the assistants that use an API key (kind api-key) or OAuth2 account (oauth2)
// POST /:kind/:connectionId/move   move them all to another working connection (to = api:<id> | oauth2:<id>)

const kindParam = z.enum(['api-key', 'oauth2'], { message: 'The connection kind must be api-key or oauth2.' });
const moveFormSchema = z.object({
  to: z.string({ message: 'Choose the connection to move the assistants to.' }).min(1, 'Choose the connection to move the assistants to.'),
});

export function usedByUrl(teamId: number, ref: ConnectionRef): string {
  return `/app/team/${teamId}/integrations/used-by/${ref.kind === 'api_key' ? 'api-key' : 'oauth2'}/${ref.id}`;
}

export function repointRoutes(db: Database): Router {
  const router = Router({ mergeParams: true });

  router.get('/:kind/:connectionId', async (req, res) => {
    const source = sourceOf(req);
    const view = await withTeam(db, req, async (tx, team) => ({ team, connection: await loadSource(tx, team, source) }));
    if (wantsJson(req)) return res.json({ connection: view.connection });
    render(res, view);
  });

  router.post('/:kind/:connectionId/move', async (req, res) => {
    const source = sourceOf(req);
    const back = usedByUrl(teamIdOf(req), source);
    // A refused move shows the page again, with what to fix beside "Move all to".
    const showPage = async () =>
      render(res, await withTeam(db, req, async (tx, team) => ({ team, connection: await loadSource(tx, team, source) })));
    await handleForm(req, res, { name: 'move-form', keep: ['to'], mainField: 'to', render: showPage }, async () => {
      const form = parse(moveFormSchema, req.body ?? {});
      const ref = connectionRefSchema.safeParse(form.to);
      if (!ref.success) {
        const message = `The connection to move to ${ref.error.issues[0]!.message}.`;
        throw new InputError(400, message, { to: message });
      }
      const result = await retryOnceOnConflict(() => withTeam(db, req, (tx, team) => moveAll(tx, team, source, ref.data)));
      await done(req, res, { to: back, kind: result.moved ? 'success' : 'info', message: result.message, json: { moved: result.moved } });
    });
  });

  return router;
}

function sourceOf(req: Request): ConnectionRef {
  const kind = parse(kindParam, req.params.kind);
  const id = parse(idParam('connection id'), req.params.connectionId);
  return { kind: kind === 'api-key' ? 'api_key' : 'oauth2', id };
}

function render(res: Response, view: { team: TeamContext; connection: SourceConnection }) {
  res.render('connections/used-by', {
    ...view,
    title: `Assistants using ${view.connection.label}`,
    moveUrl: `${usedByUrl(view.team.id, view.connection)}/move`,
  });
}
