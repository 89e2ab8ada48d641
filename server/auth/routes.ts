import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Database } from '../db';
import { HttpError } from '../http/errors';
import { issueSessionToken } from '../http/csrf';
import { handleForm } from '../http/form';
import { wantsJson } from '../http/negotiate';
import { redirectWithFlash } from '../http/respond';
import { destroySession, regenerateSession, saveSession, SESSION_COOKIE } from '../http/session';
import { parse } from '../http/validate';
import { findFirstTeamOfUser } from './queries';
import { signIn } from './service';

// GET  /login    the sign-in form
// POST /login    sign in, then 303 to /app
// POST /logout   sign out, then 303 to /login
// GET  /app      303 to the first team's assistants page

const loginSchema = z.object({
  email: z
    .string({ message: 'Enter your email address.' })
    .trim()
    .toLowerCase()
    .min(3, 'Enter your email address.')
    .max(254, 'That email address is too long.'),
  password: z.string({ message: 'Enter your password.' }).min(1, 'Enter your password.').max(1000, 'That password is too long.'),
});

export function authRoutes(db: Database): Router {
  const router = Router();

  router.get('/login', async (req, res) => {
    if (req.session.userId) return res.redirect(303, '/app');
    await forgetAnonymousSession(req, res);
    res.render('auth/login', { title: 'Sign in' });
  });

  router.post('/login', async (req, res) => {
    const form = { name: 'login-form', keep: ['email'], alsoFor: [401, 429], render: () => res.render('auth/login', { title: 'Sign in' }) };
    await handleForm(req, res, form, async () => {
      const { email, password } = parse(loginSchema, req.body);
      const userId = await signIn(db, email, password, req.ip ?? 'unknown');
      await regenerateSession(req);
      req.session.userId = userId;
      req.session.touchedAt = Date.now();
      issueSessionToken(req);
      await saveSession(req);
      if (wantsJson(req)) return void res.json({ success: true });
      res.redirect(303, '/app');
    });
  });

  // A new session id that holds only the flash; the sign-in page shows it and deletes the row.
  router.post('/logout', async (req, res) => {
    await regenerateSession(req);
    await redirectWithFlash(req, res, '/login', 'info', 'You have signed out.');
  });

  router.get('/app', requireUser, async (req, res) => {
    const team = await db.withUser(req.session.userId!, (tx) => findFirstTeamOfUser(tx));
    if (!team) {
      return res.status(403).render('error', {
        title: 'No team yet',
        status: 403,
        message: 'You are not a member of any team yet. Ask a team admin to add you.',
        requestId: req.id,
      });
    }
    res.redirect(303, `/app/team/${team.id}/assistants`);
  });

  return router;
}

/**
 * A signed-out visitor keeps no session row: a session that only carried a flash (after signing
 * out) is shown once on this page and deleted.
 */
async function forgetAnonymousSession(req: Request, res: Response): Promise<void> {
  if (!req.session || req.session.userId || !req.session.flash) return;
  const messages = (res.locals.takeFlash as () => unknown[])();
  res.locals.takeFlash = () => messages;
  await destroySession(req);
  res.clearCookie(SESSION_COOKIE);
}

/** Pages need a signed-in user: browsers go to the sign-in page, JSON clients get 401. */
export const requireUser: RequestHandler = (req, res, next) => {
  if (req.session.userId) return next();
  if (wantsJson(req) || req.method !== 'GET') throw new HttpError(401, 'Sign in to continue.', 'not_signed_in');
  res.redirect(303, `/login`);
};
