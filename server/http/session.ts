import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type { RequestHandler } from 'express';
import type pg from 'pg';
import type { Database } from '../db';
import type { Logger } from '../logger';

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
export function setUpSession(options: { db: Database; secret: string; production: boolean; logger?: Pick<Logger, 'info' | 'warn'> }): {
  handlers: RequestHandler[];
  store: session.Store & { pruneSessions(fn?: (error?: Error) => void): void };
} {
  const PgStore = connectPgSimple(session);
  const query =
    options.db.onlyProcess || options.db.notices
      ? keptSessions(options.db, options.logger)
      : (sql: string, params?: unknown[]) => options.db.queryPrepared(sql, params);
  const store = new PgStore({
    // The store's few statements go through queryPrepared: prepared once per connection on a
    // PostgreSQL server (it only ever calls query).
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
/** The store's writes that name one session, and the parameter that holds its id (save, destroy; its touch is off). */
const WRITES_OF_ONE = [
  { sql: /^INSERT INTO "session" \(sess, expire, sid\) SELECT \$1, to_timestamp\(\$2\), \$3 ON CONFLICT/, sid: 2 },
  { sql: /^DELETE FROM "session" WHERE sid = \$1$/, sid: 0 },
];
/** The channel migrations/1765100000000_session-changes.sql announces each changed session on. */
const SESSION_CHANGED = 'session_changed';
/**
 * How long a kept session is trusted at most, even with nothing heard (it also ends when its cookie
 * does): on a database of its own, 5 minutes; on a shared one, a minute, in case notices stop
 * arriving without the connection failing (a pooler that does not keep LISTEN's session).
 */
const KEEP_SESSION_MS = { onlyProcess: 5 * 60 * 1000, shared: 60 * 1000 };
const MAX_KEPT_SESSIONS = 10_000;

/**
 * The session store's statements, with a signed-in session loaded once kept in this process and
 * loaded again from the database only once it may have changed:
 * - the store's own save or destroy of that session (any other store write, the prune, forgets
 *   every session);
 * - any withOwner transaction in this process (Database.ownerTransactions: sign-in, the operator's
 *   ending of a user's sessions);
 * - on a shared PostgreSQL server (Database.notices), a notice that another process changed or ended
 *   it (migrations/1765100000000_session-changes.sql); notices of this process's own writes, sent
 *   by its own pool's backends, are already accounted for above. Sessions are kept only while the connection
 *   that listens for those notices is up; when it is lost, every kept session is forgotten.
 * A load that overlapped any of these is not kept. The app's role cannot write the session table at
 * all. Each load gets its own copy (express-session changes the object). Each statement saved is a
 * round trip, about a tenth of a signed-in page's cost on PostgreSQL and the embedded database's
 * limit there. See docs/decisions/027-embedded-session-cache.md and 032-kept-sessions-on-postgresql.md.
 */
export function keptSessions(db: Database, logger?: Pick<Logger, 'info' | 'warn'>) {
  const kept = new Map<string, { json: string; owner: number; until: number }>();
  const keepMs = db.onlyProcess ? KEEP_SESSION_MS.onlyProcess : KEEP_SESSION_MS.shared;
  /** Counts every change that may have made a kept session stale; a load that saw it move is not kept. */
  let changes = 0;
  /** Whether a change made by another process reaches us: always on a database of our own. */
  let heard = db.onlyProcess;
  const forget = (sid?: string) => {
    changes++;
    if (sid === undefined) kept.clear();
    else kept.delete(sid);
  };
  let started = false;
  /** When the listening connection was lost, while it is. */
  let lostAt: number | null = null;
  const listen = () => {
    started = true;
    db.listen(SESSION_CHANGED, {
      // A notice of this process's own write is old news: the store's write forgot its session as it
      // was sent, and a withOwner transaction moved ownerTransactions.
      notice: (sid, ours) => {
        if (!ours) forget(sid);
      },
      listening: () => {
        forget();
        if (lostAt !== null)
          logger?.info({ afterMs: Date.now() - lostAt }, 'Listening for session changes again: signed-in sessions are kept again');
        lostAt = null;
        heard = true;
      },
      lost: () => {
        // Each failed attempt to reconnect reports it again: say so once.
        if (heard)
          logger?.warn(
            'Lost the connection that listens for session changes: every request loads its session from the database until it is back',
          );
        lostAt ??= Date.now();
        heard = false;
        forget();
      },
    });
  };

  return async (sql: string, params: unknown[] = []): Promise<pg.QueryResult> => {
    if (!db.onlyProcess && !started) listen();
    if (!LOAD_SESSION.test(sql)) {
      const write = WRITES_OF_ONE.find((w) => w.sql.test(sql));
      const sid = write ? String(params[write.sid]) : undefined;
      forget(sid);
      try {
        return await db.queryPrepared(sql, params);
      } finally {
        forget(sid);
      }
    }
    const sid = String(params[0]);
    const entry = kept.get(sid);
    if (heard && entry && entry.owner === db.ownerTransactions && Date.now() < entry.until)
      return { rows: [{ sess: entry.json }] } as unknown as pg.QueryResult;
    kept.delete(sid);
    const seen = changes;
    const owner = db.ownerTransactions;
    const result = await db.queryPrepared(sql, params);
    const sess = (result.rows[0] as { sess?: { cookie?: { expires?: string } } } | undefined)?.sess;
    const expires = Date.parse(String(sess?.cookie?.expires));
    if (sess && heard && seen === changes && owner === db.ownerTransactions && Number.isFinite(expires)) {
      if (kept.size >= MAX_KEPT_SESSIONS) kept.clear();
      kept.set(sid, { json: JSON.stringify(sess), owner, until: Math.min(expires, Date.now() + keepMs) });
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
