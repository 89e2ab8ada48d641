import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type { RequestHandler } from 'express';
import type pg from 'pg';
import type { Database } from '../db';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    csrfToken?: string;
    /** When the session row's expiry was last pushed forward (ms since the epoch). */
    touchedAt?: number;
  }
}

export const SESSION_COOKIE = 'switchboard.sid';
const EIGHT_HOURS = 8 * 60 * 60 * 1000;
/** A signed-in session's expiry moves forward at most this often: one write a minute, not one per request. */
export const TOUCH_INTERVAL_MS = 60 * 1000;
const PRUNE_INTERVAL_SECONDS = 15 * 60;

/**
 * Sessions live in PostgreSQL so several app instances can share them. Only signed-in users (and a
 * pending flash) have a row; a signed-in request reads its row once and writes it at most once a
 * minute (see touchSession). Expired rows are pruned every 15 minutes.
 */
export function setUpSession(options: { db: Database; secret: string; production: boolean }): {
  handlers: RequestHandler[];
  store: session.Store & { pruneSessions(fn?: (error?: Error) => void): void };
} {
  const PgStore = connectPgSimple(session);
  const query = options.db.onlyProcess
    ? keptSessions(options.db)
    : (sql: string, params?: unknown[]) => options.db.queryPrepared(sql, params);
  const store = new PgStore({
    // The store's few statements are prepared once per connection (it only ever calls query).
    pool: { query } as unknown as pg.Pool,
    tableName: 'session',
    createTableIfMissing: false,
    pruneSessionInterval: PRUNE_INTERVAL_SECONDS,
    // express-session would UPDATE the row on every request; touchSession does it once a minute.
    disableTouch: true,
  });
  const middleware = session({
    name: SESSION_COOKIE,
    store,
    secret: options.secret,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    // In production the cookie is Secure whenever the request came over HTTPS (behind a proxy, set
    // TRUST_PROXY); over plain HTTP a Secure cookie would never be set and nobody could sign in.
    cookie: { httpOnly: true, sameSite: 'lax', secure: options.production ? 'auto' : false, maxAge: EIGHT_HOURS },
  });
  return { handlers: [middleware, touchSession], store };
}

const LOAD_SESSION = /^SELECT sess FROM "session" WHERE sid = \$1 AND expire >= to_timestamp\(\$2\)$/;
/** How long a kept session is trusted at most, even with nothing written (it also ends when its cookie does). */
const KEEP_SESSION_MS = 5 * 60 * 1000;
const MAX_KEPT_SESSIONS = 10_000;

/**
 * The session store's statements for a database no other process uses (the embedded one): a
 * session loaded once is kept in this process and loaded again from the database only when the
 * table owner may have written since (Database.ownerWrites: every write of the store itself, and
 * every withOwner transaction, such as ending a user's sessions). The app's role cannot write the
 * session table at all. A load that overlapped a write is not kept. On the embedded database each
 * statement costs a round trip to PGlite's one thread, the page's limit; a signed-in page then
 * sends only its own reads. Each load gets its own copy (express-session changes the object).
 * See docs/decisions/027-embedded-session-cache.md.
 */
export function keptSessions(db: Database) {
  const kept = new Map<string, { json: string; writes: number; until: number }>();
  return async (sql: string, params: unknown[] = []): Promise<pg.QueryResult> => {
    if (!LOAD_SESSION.test(sql)) return db.queryPrepared(sql, params);
    const sid = String(params[0]);
    const entry = kept.get(sid);
    if (entry && entry.writes === db.ownerWrites && Date.now() < entry.until)
      return { rows: [{ sess: entry.json }] } as unknown as pg.QueryResult;
    kept.delete(sid);
    const writes = db.ownerWrites;
    const result = await db.queryPrepared(sql, params);
    const sess = (result.rows[0] as { sess?: { cookie?: { expires?: string } } } | undefined)?.sess;
    const expires = Date.parse(String(sess?.cookie?.expires));
    if (sess && writes === db.ownerWrites && Number.isFinite(expires)) {
      if (kept.size >= MAX_KEPT_SESSIONS) kept.clear();
      kept.set(sid, { json: JSON.stringify(sess), writes, until: Math.min(expires, Date.now() + KEEP_SESSION_MS) });
    }
    return result;
  };
}

/**
 * Marking the session modified makes express-session save it with a fresh expiry and re-send the
 * cookie: that is the touch, at most once per TOUCH_INTERVAL_MS for each signed-in session.
 */
const touchSession: RequestHandler = (req, _res, next) => {
  const s = req.session;
  if (s?.userId && Date.now() - (s.touchedAt ?? 0) >= TOUCH_INTERVAL_MS) s.touchedAt = Date.now();
  next();
};

/** Replaces the session id (sign-in) so a fixed or stolen id is worthless afterwards. */
export function regenerateSession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}

/** Deletes the session row (sign-out, or an anonymous session whose flash has been shown). */
export function destroySession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
}

export function saveSession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}
