import { Router } from 'express';
import { parse } from '../http/validate';
import { teamIdOf, withTeam } from '../teams/context';
import { revokeIntegration } from '../composio/revoke';
import { toggleIntegration } from './service';
import { providerParam, toggleSchema } from './schemas';
import { runSync, sendTeamIntegrationsJson, type ConnectionDeps } from './routes';

// Mounted at /api/teams/:teamId/integrations (session and X-CSRF-Token as for the pages)
// GET    /                   { configured, lastSyncedAt, providers: [...] }
// POST   /sync               { success, added, removed, unchanged } (integration slugs)
// PATCH  /:provider/toggle   { enabled } -> { success, enabled }
// DELETE /:provider          revoke -> { success, message, revoked, refused } (success false: Composio refused some)

export function connectionApiRoutes(deps: ConnectionDeps): Router {
  const { db } = deps;
  const router = Router({ mergeParams: true });

  router.get('/', async (req, res) => {
    await sendTeamIntegrationsJson(deps, req, res);
  });

  router.post('/sync', async (req, res) => {
    await runSync(deps, req, res, '');
  });

  router.patch('/:provider/toggle', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    const { enabled, confirm } = parse(toggleSchema, req.body ?? {});
    const message = await withTeam(db, req, (tx, team) => toggleIntegration(tx, team, slug, enabled, confirm));
    res.json({ success: true, enabled, message });
  });

  router.delete('/:provider', async (req, res) => {
    const slug = parse(providerParam, req.params.provider);
    const outcome = await revokeIntegration(deps, req.session.userId!, teamIdOf(req), slug);
    res.json({ success: outcome.complete, message: outcome.message, revoked: outcome.revoked, refused: outcome.refused });
  });

  return router;
}
