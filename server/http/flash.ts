import type { RequestHandler } from 'express';
import { z } from 'zod';

export type FlashKind = 'success' | 'error' | 'info';
export interface FlashMessage {
  kind: FlashKind;
  text: string;
  /** The id of the row the change was about: the page shows the message in that row. */
  row?: string;
}
const flashSchema = z
  .array(
    z.object({
      kind: z.enum(['success', 'error', 'info']),
      text: z.string().max(500),
      row: z
        .string()
        .regex(/^[a-z][a-z0-9_-]{0,100}$/)
        .optional(),
    }),
  )
  .max(10);

declare module 'express-session' {
  interface SessionData {
    flash?: FlashMessage[];
  }
}

/** Adds a message shown once, on the next page the user sees (in the row `row`, when given). */
export function flash(req: Express.Request, kind: FlashKind, text: string, row?: string): void {
  const list = req.session.flash ?? [];
  list.push(row ? { kind, text, row } : { kind, text });
  req.session.flash = list.slice(-10);
}

/**
 * Takes the pending messages out of the session (validated: a session is data, not trust) for the
 * page, once per request. The top of the page shows those about no row (takeFlash); each row shows
 * its own (takeRowFlash), so the message is where the person is looking, also when the browser
 * lands there by the redirect's #row; the end of the page shows any whose row it did not have
 * (takeLeftoverFlash).
 */
export const setUpFlash: RequestHandler = (req, res, next) => {
  let pending: FlashMessage[] | null = null;
  const take = () => {
    if (pending) return pending;
    const parsed = flashSchema.safeParse(req.session?.flash ?? []);
    if (req.session) delete req.session.flash;
    pending = parsed.success ? parsed.data : [];
    return pending;
  };
  const takeWhere = (about: (message: FlashMessage) => boolean) => {
    const all = take();
    pending = all.filter((message) => !about(message));
    return all.filter(about);
  };
  res.locals.takeFlash = () => takeWhere((message) => !message.row);
  res.locals.takeRowFlash = (row: string) => takeWhere((message) => message.row === row);
  // Whether a row has a message, so a page of many rows includes the message partial only where one is.
  res.locals.hasRowFlash = (row: string) => take().some((message) => message.row === row);
  res.locals.takeLeftoverFlash = () => takeWhere(() => true);
  next();
};
