import { Router, type Request, type Response } from 'express';
import type { Database } from '../db';
import { recordAudit } from '../audit/queries';
import { notFound } from '../http/errors';
import { handleForm } from '../http/form';
import { idParam } from '../http/ids';
import { wantsJson } from '../http/negotiate';
import { done } from '../http/respond';
import { parse } from '../http/validate';
import { withTeam, type TeamContext } from '../teams/context';
import { retryOnceOnConflict } from '../db/retry';
import { deleteAssistant, findAssistant, insertAssistant, listAssistants, lockAssistant, updateAssistant } from './queries';
import { listAssistantsNeedingAttention } from '../health/queries';
import { assistantFormSchema } from './schemas';

// GET  /app/team/:teamId/assistants                       list and create form
// POST /app/team/:teamId/assistants                       create
// GET  /app/team/:teamId/assistants/:assistantId/edit        rename form
// POST /app/team/:teamId/assistants/:assistantId/edit        rename
// GET  /app/team/:teamId/assistants/:assistantId/delete      confirmation
// POST /app/team/:teamId/assistants/:assistantId/delete      delete

const base = (teamId: number) => `/app/team/${teamId}/assistants`;

export function assistantRoutes(db: Database): Router {
  const router = Router({ mergeParams: true });

  router.get('/', async (req, res) => {
    await showList(db, req, res);
  });

  router.post('/', async (req, res) => {
    await handleForm(
      req,
      res,
      { name: 'new-assistant-form', keep: ['name', 'description'], render: () => showList(db, req, res) },
      async () => {
        const form = parse(assistantFormSchema, req.body);
        const { team, id } = await withTeam(db, req, async (tx, team) => {
          const { id } = await insertAssistant(tx, team.id, form.name, form.description);
          await recordAudit(tx, { teamId: team.id, action: 'assistant.created', target: form.name });
          return { team, id };
        });
        if (wantsJson(req)) return void res.status(201).json({ assistant: { id, name: form.name, description: form.description } });
        await done(req, res, { to: base(team.id), message: `Created ${form.name}.` });
      },
    );
  });

  router.get('/:assistantId/edit', async (req, res) => {
    await showRenameForm(db, req, res);
  });

  router.post('/:assistantId/edit', async (req, res) => {
    const assistantId = parse(idParam('assistant id'), req.params.assistantId);
    await handleForm(
      req,
      res,
      { name: 'rename-form', keep: ['name', 'description'], render: () => showRenameForm(db, req, res) },
      async () => {
        const form = parse(assistantFormSchema, req.body);
        const team = await changeInTeam(db, req, async (tx, team) => {
          const before = await lockAssistant(tx, team.id, assistantId);
          if (!before || !(await updateAssistant(tx, team.id, assistantId, form.name, form.description))) throw notFound('That assistant');
          await recordAudit(tx, { teamId: team.id, action: 'assistant.renamed', target: form.name, details: { from: before.name } });
          return team;
        });
        await done(req, res, { to: base(team.id), message: `Saved ${form.name}.` });
      },
    );
  });

  router.get('/:assistantId/delete', async (req, res) => {
    const { team, assistant } = await loadAssistant(db, req);
    res.render('assistants/delete', { title: `Delete ${assistant.name}`, team, assistant });
  });

  router.post('/:assistantId/delete', async (req, res) => {
    const assistantId = parse(idParam('assistant id'), req.params.assistantId);
    const { team, name } = await changeInTeam(db, req, async (tx, team) => {
      const deleted = await deleteAssistant(tx, team.id, assistantId);
      if (!deleted) throw notFound('That assistant');
      await recordAudit(tx, { teamId: team.id, action: 'assistant.deleted', target: deleted.name });
      return { team, name: deleted.name };
    });
    await done(req, res, { to: base(team.id), message: `Deleted ${name}.` });
  });

  return router;
}

async function showList(db: Database, req: Request, res: Response): Promise<void> {
  const { team, assistants } = await withTeam(db, req, async (tx, team) => {
    const attention = new Map((await listAssistantsNeedingAttention(tx, team.id)).map((r) => [r.assistant_id, r.needs_attention]));
    const assistants = (await listAssistants(tx, team.id)).map((a) => ({ ...a, needs_attention: attention.get(a.id) ?? 0 }));
    return { team, assistants };
  });
  if (wantsJson(req)) return void res.json({ team: { id: team.id, name: team.name, role: team.role }, assistants });
  res.render('assistants/page', { title: `Assistants · ${team.name}`, team, assistants });
}

async function showRenameForm(db: Database, req: Request, res: Response) {
  const { team, assistant } = await loadAssistant(db, req);
  res.render('assistants/edit', { title: `Rename ${assistant.name}`, team, assistant });
}

async function loadAssistant(
  db: Database,
  req: Request,
): Promise<{ team: TeamContext; assistant: { id: number; name: string; description: string } }> {
  const assistantId = parse(idParam('assistant id'), req.params.assistantId);
  return withTeam(db, req, async (tx, team) => {
    const assistant = await findAssistant(tx, team.id, assistantId);
    if (!assistant) throw notFound('That assistant');
    return { team, assistant };
  });
}

/** A change to one assistant, run once more if PostgreSQL aborted it as a deadlock victim. */
function changeInTeam<T>(db: Database, req: Request, fn: Parameters<typeof withTeam<T>>[2]): Promise<T> {
  return retryOnceOnConflict(() => withTeam(db, req, fn));
}
