import type { Request } from 'express';

/** True for the JSON API, and for requests whose Accept header prefers JSON over HTML. */
export function wantsJson(req: Request): boolean {
  return req.originalUrl.startsWith('/api/') || req.accepts(['html', 'json']) === 'json';
}

export function isHtmx(req: Request): boolean {
  return req.get('HX-Request') === 'true';
}

/** An htmx request that asked for a piece of a page (not a boosted navigation). */
export function htmxTarget(req: Request): string | undefined {
  return isHtmx(req) && req.get('HX-Boosted') !== 'true' ? req.get('HX-Target') : undefined;
}
