import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { csrfSync } from 'csrf-sync';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors';

/**
 * CSRF protection on every state-changing request: `_csrf` in forms, `X-CSRF-Token` on htmx and
 * JSON requests (public/js/app.js sets it from the page). One short token per page.
 *
 * Signed in: a synchroniser token kept in the session (csrf-sync, 16 bytes = 32 hex characters).
 * Signed out (the sign-in form): a signed double-submit cookie, so an anonymous visitor costs no
 * session row. See docs/decisions/007-anonymous-csrf.md.
 */

export const ANONYMOUS_CSRF_COOKIE = 'switchboard.csrf';
const TOKEN_BYTES = 16;

export function setUpCsrf(options: { secret: string; production: boolean }): RequestHandler[] {
  const synchronised = csrfSync({ size: TOKEN_BYTES, getTokenFromRequest: tokenFromRequest });
  const anonymous = signedDoubleSubmit(options);

  const protect: RequestHandler = (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const valid = req.session?.userId ? synchronised.isRequestValid(req) : anonymous.isRequestValid(req);
    if (!valid)
      return next(new HttpError(403, 'Your form expired or came from another site. Reload the page and try again.', 'invalid_csrf_token'));
    next();
  };
  // Lazy: only a page that renders a form asks for a token, so redirects and JSON set no cookie.
  const exposeToken: RequestHandler = (req, res, next) => {
    let token: string | undefined;
    Object.defineProperty(res.locals, 'csrfToken', {
      enumerable: true,
      configurable: true,
      get: () => (token ??= req.session?.userId ? synchronised.generateToken(req) : anonymous.token(req, res)),
    });
    next();
  };
  return [protect, exposeToken];
}

/** A new synchroniser token for a session that has just been signed in; saved with the session. */
export function issueSessionToken(req: Request): void {
  req.session.csrfToken = randomBytes(TOKEN_BYTES).toString('hex');
}

function tokenFromRequest(req: Request): string | undefined {
  const header = req.get('x-csrf-token');
  if (header) return header;
  const body = req.body as Record<string, unknown> | undefined;
  return typeof body?._csrf === 'string' ? body._csrf : undefined;
}

/**
 * The cookie holds a random nonce; the form carries HMAC(secret, nonce). Another site can neither
 * read the cookie nor compute the HMAC without the server's secret.
 */
function signedDoubleSubmit(options: { secret: string; production: boolean }) {
  const sign = (nonce: string) => createHmac('sha256', options.secret).update(`csrf:${nonce}`).digest('base64url').slice(0, 32);
  const nonceOf = (req: Request): string | undefined => {
    const value = cookieValue(req.get('cookie'), ANONYMOUS_CSRF_COOKIE);
    return value && /^[A-Za-z0-9_-]{22}$/.test(value) ? value : undefined;
  };
  return {
    token(req: Request, res: Response): string {
      let nonce = nonceOf(req);
      if (!nonce) {
        nonce = randomBytes(TOKEN_BYTES).toString('base64url');
        res.cookie(ANONYMOUS_CSRF_COOKIE, nonce, { httpOnly: true, sameSite: 'lax', secure: options.production && req.secure, path: '/' });
      }
      return sign(nonce);
    },
    isRequestValid(req: Request): boolean {
      const nonce = nonceOf(req);
      const received = tokenFromRequest(req);
      if (!nonce || typeof received !== 'string') return false;
      const expected = Buffer.from(sign(nonce));
      const actual = Buffer.from(received);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
