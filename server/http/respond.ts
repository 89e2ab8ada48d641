import type { Request, Response } from 'express';
import { errorHandler } from './errors';
import { flash, type FlashKind } from './flash';
import { wantsJson } from './negotiate';
import { saveSession } from './session';

/**
 * The end of every change: JSON clients get the data, everyone else a flash message and a
 * 303 back to the page (htmx follows the redirect and swaps the page in). With `row` (the id of
 * the row the change was about) the redirect lands on that row and the message is shown in it.
 */
export function done(
  req: Request,
  res: Response,
  outcome: { to: string; row?: string; kind?: FlashKind; message: string; json?: object },
): Promise<void> {
  if (wantsJson(req)) {
    res.json({ success: true, message: outcome.message, ...outcome.json });
    return Promise.resolve();
  }
  return redirectWithFlash(
    req,
    res,
    outcome.row ? `${outcome.to}#${outcome.row}` : outcome.to,
    outcome.kind ?? 'success',
    outcome.message,
    outcome.row,
  );
}

/**
 * The only way a redirect carries a flash. The session is saved before the 303 goes out: otherwise
 * express-session writes the headers first and saves afterwards, and a quick browser can load the
 * next page before the flash is stored (it then shows one page late). Never rejects: a failed save
 * becomes the error page.
 */
export async function redirectWithFlash(
  req: Request,
  res: Response,
  to: string,
  kind: FlashKind,
  text: string,
  row?: string,
): Promise<void> {
  flash(req, kind, text, row);
  try {
    await saveSession(req);
  } catch (error) {
    errorHandler(error, req, res, () => {});
    return;
  }
  res.redirect(303, to);
}
