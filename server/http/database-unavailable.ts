import type { Request, RequestHandler, Response } from 'express';
import type { Database } from '../db';
import { wantsJson } from './negotiate';

/** While the database cannot be reached, every page and /healthz say so with a 503; no restart is needed afterwards. */

export const DATABASE_UNAVAILABLE_MESSAGE = 'Switchboard cannot reach its database; retrying.';
const RETRY_AFTER_SECONDS = 5;

export function answerDatabaseUnavailable(req: Request, res: Response): void {
  res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS));
  if (wantsJson(req)) {
    res.json({ error: 'database_unavailable', message: DATABASE_UNAVAILABLE_MESSAGE });
    return;
  }
  // A page of its own: the usual layout reads the session, which lives in the database.
  res.render('database-unavailable', { message: DATABASE_UNAVAILABLE_MESSAGE, retryAfter: RETRY_AFTER_SECONDS });
}

export function healthCheck(db: Database): RequestHandler {
  return async (_req, res) => {
    if (await db.ping()) {
      res.json({ status: 'ok' });
      return;
    }
    res
      .status(503)
      .set('Retry-After', String(RETRY_AFTER_SECONDS))
      .json({ status: 'unavailable', error: 'database_unavailable', message: DATABASE_UNAVAILABLE_MESSAGE });
  };
}
