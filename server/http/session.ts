import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type { RequestHandler } from 'express';
import type pg from 'pg';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
  }
}

const EIGHT_HOURS = 8 * 60 * 60 * 1000;

/** Sessions live in PostgreSQL so several app instances can share them. */
export function setUpSession(options: { pool: pg.Pool; secret: string; production: boolean }): RequestHandler {
  const PgStore = connectPgSimple(session);
  return session({
    name: 'switchboard.sid',
    store: new PgStore({ pool: options.pool, tableName: 'session', createTableIfMissing: false, pruneSessionInterval: 15 * 60 }),
    secret: options.secret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    // In production the cookie is Secure whenever the request came over HTTPS (behind a proxy, set
    // TRUST_PROXY); over plain HTTP a Secure cookie would never be set and nobody could sign in.
    cookie: { httpOnly: true, sameSite: 'lax', secure: options.production ? 'auto' : false, maxAge: EIGHT_HOURS },
  });
}

/** Replaces the session id (sign-in, sign-out) so a fixed or stolen id is worthless afterwards. */
export function regenerateSession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}

export function saveSession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}
