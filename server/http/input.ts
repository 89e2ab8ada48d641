import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/** Forms and the JSON API send one of these; anything else would reach a handler as no body at all. */
const READABLE_TYPES = ['application/x-www-form-urlencoded', 'application/json'];

/**
 * A body the parsers did not read (text/plain, multipart, ...) is a 415 in words; a request without
 * a body gets an empty one, so handlers always see an object to validate.
 */
export const requireReadableBody: RequestHandler = (req, _res, next) => {
  if (req.body === undefined) {
    const changes = req.method !== 'GET' && req.method !== 'HEAD';
    if (changes && hasBody(req.headers) && !req.is(READABLE_TYPES)) {
      const type = req.get('content-type') ?? 'no Content-Type';
      return next(
        new HttpError(
          415,
          `Switchboard reads forms (application/x-www-form-urlencoded) and JSON (application/json), not ${type.split(';')[0]}.`,
          'unsupported_media_type',
        ),
      );
    }
    req.body = {};
  }
  next();
};

function hasBody(headers: Record<string, unknown>): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * PostgreSQL text cannot hold a NUL character, and no person types one: refuse it at the edge,
 * naming the field, wherever it appears in the query string or the body (keys included).
 */
export const rejectNulCharacters: RequestHandler = (req, _res, next) => {
  const field = findNul(req.body, '') ?? findNul(req.query, '');
  if (field !== null)
    return next(
      new HttpError(
        400,
        `"${field || 'the request'}" contains a NUL character (\\0), which is not allowed. Remove it and try again.`,
        'bad_request',
      ),
    );
  next();
};

function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\0') ? path : null;
  if (depth > 20 || typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const name = path ? `${path}.${key}` : key;
    if (key.includes('\0')) return name.replace(/\0/g, '\\0').slice(0, 60);
    const found = findNul(item, name.slice(0, 60), depth + 1);
    if (found !== null) return found;
  }
  return null;
}
