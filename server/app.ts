import path from 'node:path';
import zlib from 'node:zlib';
import compression from 'compression';
import express from 'express';
import type { Config } from './config';
import type { Database } from './db';
import type { Logger } from './logger';
import type { ComposioGateway } from './composio/types';
import { authRoutes, requireUser } from './auth/routes';
import { assistantRoutes } from './assistants/routes';
import { assistantIntegrationRoutes } from './assistant-integrations/routes';
import { connectionApiRoutes } from './connections/api-routes';
import { connectionRoutes } from './connections/routes';
import { repointRoutes } from './repoint/routes';
import { setUpStaticFiles } from './http/assets';
import { renderView } from './http/templates';
import { connectRoutes } from './connect/routes';
import { composioWebhookRoutes } from './webhooks/routes';
import { setUpCsrf } from './http/csrf';
import { healthCheck } from './http/database-unavailable';
import { errorHandler, pageNotFound } from './http/errors';
import { setUpFlash } from './http/flash';
import { rejectNulCharacters, requireReadableBody } from './http/input';
import { noStore } from './http/no-store';
import { setUpRequestLogging } from './http/request-log';
import { setUpSecurityHeaders } from './http/security';
import { setUpSession } from './http/session';
import { setUpViewHelpers } from './http/view-helpers';
import { mcpRoutes } from './mcp/routes';
import { assistantAccessRoutes } from './assistant-access/routes';

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  /** Null when COMPOSIO_API_KEY is not set: sync answers 503 and the page explains how to configure it. */
  composio: ComposioGateway | null;
}

/**
 * Pages and JSON are compressed as they are made, once per response: at the fastest levels, which
 * keep most of the gain. The assistant page's 50 KB is 5.3 KB with brotli at quality 1 and 4.5 KB at
 * the middleware's default 4, which costs about twice the CPU (0.3 against 0.65 ms per page, with
 * npm start's malloc settings), as much again as the rest of the page. gzip: level 1 against the
 * default 6, 5.8 against 5.2 KB. Static files are compressed once, at the highest levels (./http/assets.ts).
 * See docs/decisions/031-fast-compression-for-pages.md.
 */
const DYNAMIC_COMPRESSION = {
  level: 1,
  brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } },
};

const ROOT = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '.');

/** Builds the app from its dependencies; does no I/O. Only server/index.ts calls listen(). */
export function createApp(deps: AppDeps): express.Express {
  const { config, db, logger } = deps;
  const app = express();
  const views = path.join(ROOT, 'views');
  app.set('views', views);
  app.set('view engine', 'ejs');
  // Compiled templates are kept unless `npm run dev` asks otherwise (not tied to NODE_ENV).
  app.set('view cache', !config.devMode);
  app.engine('ejs', renderView(views, !config.devMode));
  app.set('x-powered-by', false);
  // Pages and API answers are no-store (./http/no-store.ts): hashing each one for an ETag buys nothing.
  // Static files set their own (./http/assets.ts).
  app.set('etag', false);
  if (config.trustProxy) app.set('trust proxy', config.trustProxy);
  const assets = setUpStaticFiles({ root: ROOT, cache: !config.devMode });
  app.locals.asset = assets.asset;

  app.use(setUpRequestLogging(app, logger));
  app.use(compression(DYNAMIC_COMPRESSION));
  // Before the pages' security headers: static files set the few that apply to them (./http/assets.ts).
  app.use('/static', assets.router);
  app.use(setUpSecurityHeaders(config.isProduction));
  app.use(noStore);

  app.get('/healthz', healthCheck(db));

  // Before the body parsers, session and CSRF: it reads its own raw body and is signed instead.
  app.use(composioWebhookRoutes(deps));

  // Bearer tokens only: mounted before sessions and CSRF, which do not apply to it (docs/decisions/011).
  app.use('/mcp', mcpRoutes({ ...deps, encryptionKey: config.encryptionKey, rateLimitPerMinute: config.mcpRateLimit }));

  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 2000 }));
  app.use(express.json({ limit: '100kb' }));
  app.use(requireReadableBody);
  app.use(rejectNulCharacters);
  const sessions = setUpSession({ db, secret: config.sessionSecret, production: config.isProduction, logger });
  app.set('session store', sessions.store);
  app.use(sessions.handlers);
  app.use(setUpCsrf({ secret: config.sessionSecret, production: config.isProduction }));
  app.use(setUpFlash);
  app.use(setUpViewHelpers(config));

  app.get('/', (req, res) => res.redirect(303, req.session.userId ? '/app' : '/login'));
  app.use(authRoutes(db));
  app.use('/app/team/:teamId/assistants', requireUser, assistantRoutes(db));
  app.use('/app/team/:teamId/assistant/:assistantId/integrations', requireUser, assistantIntegrationRoutes(deps));
  app.use('/app/team/:teamId/assistant/:assistantId/mcp', requireUser, assistantAccessRoutes(deps));
  app.use('/app/team/:teamId/integrations/used-by', requireUser, repointRoutes(db));
  app.use('/app/team/:teamId/integrations', requireUser, connectionRoutes(deps));
  app.use('/api/teams/:teamId/integrations', requireUser, connectionApiRoutes(deps));
  app.use('/app/team/:teamId/connect', requireUser, connectRoutes(deps));

  app.use(pageNotFound);
  app.use(errorHandler);
  return app;
}
