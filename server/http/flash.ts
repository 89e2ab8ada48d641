import type { RequestHandler } from 'express';
import { z } from 'zod';

export type FlashKind = 'success' | 'error' | 'info';
const flashSchema = z.array(z.object({ kind: z.enum(['success', 'error', 'info']), text: z.string().max(500) })).max(10);

declare module 'express-session' {
  interface SessionData {
    flash?: { kind: FlashKind; text: string }[];
  }
}

/** Adds a message shown once, on the next page the user sees. */
export function flash(req: Express.Request, kind: FlashKind, text: string): void {
  const list = req.session.flash ?? [];
  list.push({ kind, text });
  req.session.flash = list.slice(-10);
}

/** Takes the pending messages out of the session (validated: a session is data, not trust) for the page. */
export const setUpFlash: RequestHandler = (req, res, next) => {
  res.locals.takeFlash = () => {
    const parsed = flashSchema.safeParse(req.session?.flash ?? []);
    if (req.session) delete req.session.flash;
    return parsed.success ? parsed.data : [];
  };
  next();
};
