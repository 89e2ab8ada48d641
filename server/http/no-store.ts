import type { RequestHandler } from 'express';

/**
 * Pages and API answers are about one person's teams: the browser must not keep them, so Back
 * after signing out asks the server again (and lands on the sign-in page). Static files are served
 * before this and keep their own caching.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
