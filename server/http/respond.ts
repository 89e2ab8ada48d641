import type { Request, Response } from 'express';
import { flash, type FlashKind } from './flash';
import { wantsJson } from './negotiate';

/**
 * The end of every change: JSON clients get the data, everyone else a flash message and a
 * 303 back to the page (htmx follows the redirect and swaps the page in).
 */
export function done(req: Request, res: Response, outcome: { to: string; kind?: FlashKind; message: string; json?: object }): void {
  if (wantsJson(req)) {
    res.json({ success: true, message: outcome.message, ...outcome.json });
    return;
  }
  flash(req, outcome.kind ?? 'success', outcome.message);
  res.redirect(303, outcome.to);
}
