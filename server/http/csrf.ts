import { csrfSync } from 'csrf-sync';
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/**
 * Synchroniser-token CSRF protection on every non-GET request: `_csrf` in forms, `X-CSRF-Token`
 * on htmx and JSON requests (public/js/app.js sets it from the page's meta tag).
 */
export function setUpCsrf(): RequestHandler[] {
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) => {
      const header = req.get('x-csrf-token');
      if (header) return header;
      const body = req.body as Record<string, unknown> | undefined;
      return typeof body?._csrf === 'string' ? body._csrf : undefined;
    },
  });
  const exposeToken: RequestHandler = (req, res, next) => {
    res.locals.csrfToken = req.session ? generateToken(req) : '';
    next();
  };
  const protect: RequestHandler = (req, res, next) => {
    csrfSynchronisedProtection(req, res, (error?: unknown) => {
      if (error) {
        next(new HttpError(403, 'Your form expired or came from another site. Reload the page and try again.', 'invalid_csrf_token'));
        return;
      }
      next();
    });
  };
  return [protect, exposeToken];
}
