import { createHash } from 'node:crypto';
import pg from 'pg';
import { isDatabaseUnavailable } from './unavailable';

/**
 * The one module that imports pg. Transactions exist only inside a callback, so commit, rollback
 * and release cannot be forgotten.
 */

export type Row = Record<string, unknown>;

export interface Tx {
  query<T extends Row = Row>(sql: string, params?: unknown[], options?: ReadOptions): Promise<T[]>;
  /** Exactly one row, or throws. */
  one<T extends Row = Row>(sql: string, params?: unknown[], options?: ReadOptions): Promise<T>;
  /** The first row or null. */
  maybeOne<T extends Row = Row>(sql: string, params?: unknown[], options?: ReadOptions): Promise<T | null>;
}

export interface ReadOptions {
  /**
   * The row's timestamp columns. A read sent on its own gets them as Dates from pg; one sent with
   * others in a single statement (./together.ts) gets them back through JSON, as text, and turns
   * them back into Dates by this list, so callers see the same rows either way.
   */
  timestamps?: readonly string[];
  /**
   * Send it as a named prepared statement where the database allows (DatabaseOptions.prepare):
   * planned once per connection instead of on every request. Only for SQL whose text is one of a
   * fixed set (the pages' reads), since each connection keeps every statement it prepared.
   */
  prepare?: boolean;
}

export interface Database {
  /** Runs fn in a transaction as the app role with the acting user set: row-level security applies. */
  withUser<T>(userId: number, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * withUser, with the rows of `firstRead` sent in the same round trip as BEGIN and the acting user
   * (the user's teams, which nearly every request needs first). It is a simple-protocol query, which
   * takes no parameters: `firstRead` is constant SQL that reads the acting user from the settings.
   */
  withUserReading<R extends Row, T>(userId: number, firstRead: string, fn: (tx: Tx, rows: R[]) => Promise<T>): Promise<T>;
  /**
   * One read as the acting user in a transaction of its own, sent in ONE round trip with BEGIN, the
   * acting user and COMMIT: for pages that only read (./together.ts readTogetherAsUser). Where the
   * database allows (DatabaseOptions.prepare) it runs as a prepared statement, prepared once per
   * connection in a round trip of its own; the same rules as ReadOptions.prepare apply to its text.
   * See docs/decisions/023-read-only-pages-in-one-round-trip.md.
   */
  readAsUser<T extends Row = Row>(userId: number, sql: string, params: readonly unknown[]): Promise<T[]>;
  /**
   * One statement on the pool, outside any transaction of ours, as the table owner; a named prepared
   * statement where the database allows (DatabaseOptions.prepare). For the session store, whose
   * statements are a fixed set of texts (ReadOptions.prepare's rule).
   */
  queryPrepared(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Runs fn in a transaction as the table owner: for sign-in, seeding and the command line only. */
  withOwner<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  ping(): Promise<boolean>;
  readonly pool: pg.Pool;
  readonly description: string;
  /**
   * No other process uses this database (the embedded one, under its lock: docs/decisions/005).
   * Rows that only the table owner can write, the sessions, can then be kept in this process
   * (server/http/session.ts; docs/decisions/027-embedded-session-cache.md).
   */
  readonly onlyProcess: boolean;
  /**
   * A connection of our own receives NOTIFY (a PostgreSQL server): `listen` can be used. Not so on
   * the embedded database served over its socket to several processes, where every connection shares
   * one session. See docs/decisions/032-kept-sessions-on-postgresql.md.
   */
  readonly notices: boolean;
  /**
   * Listens on `channel` on a connection of its own, outside the pool, which reconnects when it is
   * lost, until the database closes. `listening` is called each time LISTEN has taken effect: notices
   * committed from then on arrive. `lost` is called when the connection goes: notices may be missed
   * until `listening` is called again.
   */
  listen(channel: string, handlers: Listener): void;
  /**
   * How many withOwner transactions have begun and ended so far: counted up when each begins and
   * again when it ends. The app's role can write no session row (it has no grant on the table), so
   * outside the session store's own statements an unchanged count means no session row changed in
   * this process.
   */
  readonly ownerTransactions: number;
  close(): Promise<void>;
}

export interface Listener {
  /** `ours`: sent by a backend of this process's own pool, so by a statement this process made. */
  notice(payload: string, ours: boolean): void;
  listening(): void;
  lost(): void;
}

export const APP_ROLE = 'switchboard_app';

export interface DatabaseOptions {
  connectionString: string;
  description: string;
  maxConnections?: number;
  /**
   * Called with the text of every query sent, once per round trip (a withUser transaction's first
   * one carries BEGIN and the acting user); the statement-count tests and the benchmark use it.
   */
  onStatement?: (sql: string) => void;
  /** No other process uses the database (Database.onlyProcess). */
  onlyProcess?: boolean;
  /** A connection of our own receives NOTIFY (Database.notices): a PostgreSQL server. */
  notices?: boolean;
  /** Extra work when the database closes, e.g. stopping the embedded server. */
  onClose?: () => Promise<void>;
  /**
   * Prepare statements: 'per-connection' where each connection is a session of its own (a
   * PostgreSQL server), for readAsUser's and withUser's SQL PREPAREs and for node-postgres's named
   * statements (ReadOptions.prepare, queryPrepared); 'one-session' where every connection shares one
   * session (the embedded database): there a statement any connection prepared is every
   * connection's, so SQL PREPAREs are kept once for the database, and node-postgres's named
   * statements, which each connection keeps for itself, are not used (docs/decisions/036-embedded-connections.md).
   */
  prepare?: 'per-connection' | 'one-session';
}

// int8 (counts, bigint ids) as numbers: our values stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // A connection that breaks (the server restarts, a backend is terminated) emits 'error' whether
  // it is idle or checked out; without a listener that would end the process. The pool drops an
  // idle one itself; a checked-out one fails its next query, and the transaction discards it.
  pool.on('error', () => {});
  // The server process behind each of the pool's connections, too: a notice says which one sent it.
  const ownBackends = new Set<number>();
  pool.on('connect', (client) => {
    client.on('error', () => {});
    ownBackends.add((client as unknown as { processID: number }).processID);
  });
  pool.on('remove', (client) => ownBackends.delete((client as unknown as { processID: number }).processID));
  const prepare = options.prepare !== undefined;
  // node-postgres's named statements: only where each connection is a session of its own.
  const prepareNamed = options.prepare === 'per-connection';
  /** 'one-session': the SQL PREPAREs the shared session holds (or is being sent), by name. */
  const sessionPrepared = new Map<string, Promise<void>>();
  let ownerTransactions = 0;
  const listeners: (() => Promise<void>)[] = [];

  /** fn on a pooled connection; if it fails, ROLLBACK, or drop the connection if that is what failed. */
  async function onConnection<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (error) {
      if (isDatabaseUnavailable(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      // A client whose connection failed goes away instead of back into the pool.
      client.release(broken);
    }
  }

  /**
   * `sql` prepared as `name` with SQL's PREPARE, once per session: outside any transaction and on its
   * own, so what is noted is what the session holds.
   */
  function preparedAs(client: pg.PoolClient, name: string, sql: string): Promise<void> {
    const text = `PREPARE ${name} AS ${sql}`;
    if (options.prepare === 'one-session') {
      let prepared = sessionPrepared.get(name);
      if (!prepared) {
        options.onStatement?.(text);
        prepared = client.query(text).then(
          () => {},
          (error: unknown) => {
            // Names are the text's digest: the session already holding the name holds this text
            // (prepared by an earlier pool in this process, e.g. a test's).
            if (pgErrorCode(error) === '42P05') return;
            sessionPrepared.delete(name);
            throw error;
          },
        );
        sessionPrepared.set(name, prepared);
      }
      return prepared;
    }
    return preparedOnConnection(client, name, text);
  }

  async function preparedOnConnection(client: pg.PoolClient, name: string, text: string): Promise<void> {
    const prepared = preparedOn.get(client) ?? new Set<string>();
    if (prepared.has(name)) return;
    options.onStatement?.(text);
    await client.query(text);
    prepared.add(name);
    preparedOn.set(client, prepared);
  }

  /** BEGIN as the user: with the user's teams read by a prepared statement where the database allows. */
  async function beginOn(client: pg.PoolClient, userId: number): Promise<string> {
    // Inlined into SQL below, so only ever an integer.
    if (!Number.isSafeInteger(userId)) throw new TypeError(`withUser needs an integer user id, got ${String(userId)}`);
    if (!prepare) return beginAsUser(userId, TEAMS_OF_USER_SQL.replace('$1', String(userId)));
    await preparedAs(client, TEAMS_OF_USER, TEAMS_OF_USER_SQL);
    return beginAsUser(userId, `EXECUTE ${TEAMS_OF_USER}(${userId})`);
  }

  /** `begin` gives the transaction's first round trip on the connection it runs on. */
  function transaction<T>(begin: (client: pg.PoolClient) => Promise<string>, fn: (tx: Tx, firstRows: Row[]) => Promise<T>): Promise<T> {
    return onConnection(async (client) => {
      const first = await begin(client);
      options.onStatement?.(first);
      // Several statements in one simple query answer with one result each; the last one is the read.
      const answered = (await client.query(first)) as pg.QueryResult | pg.QueryResult[];
      const result = await fn(
        wrap(client, options.onStatement, prepareNamed),
        (Array.isArray(answered) ? answered.at(-1)! : answered).rows as Row[],
      );
      options.onStatement?.('COMMIT');
      await client.query('COMMIT');
      return result;
    });
  }

  /** readAsUser's one round trip (after the statement's PREPARE, once per connection or, on a shared session, once for it). */
  function readOnce<T extends Row>(userId: number, sql: string, params: readonly unknown[]): Promise<T[]> {
    return onConnection(async (client) => {
      let read: string;
      if (prepare) {
        const name = statementName(sql, 'sbr');
        await preparedAs(client, name, sql);
        read = params.length > 0 ? `EXECUTE ${name}(${params.map(literal).join(', ')})` : `EXECUTE ${name}`;
      } else {
        read = sql.replace(/\$(\d+)/g, (match, n: string) => (Number(n) <= params.length ? literal(params[Number(n) - 1]) : match));
      }
      const text = `${await beginOn(client, userId)}; ${read}; COMMIT`;
      options.onStatement?.(text);
      // One answer per statement: BEGIN, the user's teams, the acting user, the read, COMMIT.
      const answered = (await client.query(text)) as unknown as pg.QueryResult[];
      return answered.at(-2)!.rows as T[];
    });
  }

  return {
    pool,
    description: options.description,
    withUser(userId, fn) {
      return transaction(
        (client) => beginOn(client, userId),
        (tx) => fn(tx),
      );
    },
    async withUserReading<R extends Row, T>(userId: number, firstRead: string, fn: (tx: Tx, rows: R[]) => Promise<T>) {
      const read = constantRead(firstRead);
      return transaction(
        async (client) => `${await beginOn(client, userId)}; ${read}`,
        (tx, rows) => fn(tx, rows as R[]),
      );
    },
    readAsUser: readOnce,
    onlyProcess: options.onlyProcess ?? false,
    notices: options.notices ?? false,
    listen(channel, handlers) {
      if (!options.notices) throw new Error(`${options.description} does not deliver notices to a connection of ours.`);
      listeners.push(listenOn(options.connectionString, channel, handlers, (backend) => ownBackends.has(backend)));
    },
    get ownerTransactions() {
      return ownerTransactions;
    },
    queryPrepared(sql, params = []) {
      return prepareNamed ? pool.query({ name: statementName(sql), text: sql, values: params }) : pool.query(sql, params);
    },
    async withOwner(fn) {
      ownerTransactions++;
      try {
        return await transaction(
          async () => 'BEGIN',
          (tx) => fn(tx),
        );
      } finally {
        ownerTransactions++;
      }
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await Promise.all(listeners.splice(0).map((stop) => stop()));
      await pool.end();
      await options.onClose?.();
    },
  };
}

/** How long a lost listener waits before it connects again, at first and at most. */
const RELISTEN_MS = { first: 500, most: 15_000 };

/**
 * Database.listen: one pg.Client outside the pool. A connection that fails or ends, in connect,
 * LISTEN or afterwards, reports `lost` once and is replaced after a delay that doubles up to
 * RELISTEN_MS.most. Returns the function that stops it.
 */
function listenOn(connectionString: string, channel: string, handlers: Listener, ours: (backend: number) => boolean): () => Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new TypeError(`Not a channel name: ${channel}`);
  let stopped = false;
  let delay = RELISTEN_MS.first;
  let retry: NodeJS.Timeout | undefined;
  let current: pg.Client | undefined;
  const connect = async () => {
    const client = new pg.Client({ connectionString, keepAlive: true, connectionTimeoutMillis: 10_000 });
    current = client;
    let gone = false;
    const lose = () => {
      if (gone) return;
      gone = true;
      client.end().catch(() => {});
      if (!stopped) {
        handlers.lost();
        retry = setTimeout(() => void connect(), delay);
        retry.unref();
        delay = Math.min(delay * 2, RELISTEN_MS.most);
      }
    };
    client.on('error', lose);
    client.on('end', lose);
    client.on('notification', (message) => {
      if (message.channel === channel) handlers.notice(message.payload ?? '', ours(message.processId));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch {
      return lose();
    }
    if (gone || stopped) return;
    delay = RELISTEN_MS.first;
    handlers.listening();
  };
  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await current?.end().catch(() => {});
  };
}

/**
 * BEGIN, the user's teams (`teams`: TEAMS_OF_USER_SQL or its prepared statement) and the acting
 * user in one round trip: a simple-protocol query of three statements, four with withUserReading's
 * read (the simple protocol takes no parameters, so the user id is inlined, and only ever as an
 * integer: beginOn). Transaction-local: the embedded database shares one session across pooled
 * connections.
 */
function beginAsUser(userId: number, teams: string): string {
  return `BEGIN; ${teams}; SELECT set_config('role', '${APP_ROLE}', true), set_config('app.user_id', '${userId}', true)`;
}

/**
 * The user's teams, set for the transaction before its role changes, so read as the table owner:
 * the policies use them instead of querying team_users for every table a statement names
 * (docs/decisions/024-team-ids-per-transaction.md). `$1` is the user.
 */
const TEAMS_OF_USER_SQL = `SELECT set_config('app.team_ids', (SELECT coalesce(array_agg(team_id), '{}')::text FROM team_users WHERE user_id = $1), true)`;

/**
 * Its name as a prepared statement where the database allows: planning it was about half its cost
 * on the embedded database (140 against 65 µs in PGlite), on every transaction.
 */
const TEAMS_OF_USER = 'sb_teams_of_user';

/** A read that can ride in the BEGIN round trip: one statement, no parameters. */
function constantRead(sql: string): string {
  const trimmed = sql.trim().replace(/;$/, '');
  if (/\$\d/.test(trimmed) || trimmed.includes(';')) throw new TypeError('A read sent with BEGIN is one statement without parameters.');
  return trimmed;
}

function wrap(client: pg.PoolClient, onStatement: ((sql: string) => void) | undefined, prepare: boolean): Tx {
  return txOf(async <T extends Row>(sql: string, params: unknown[] = [], options: ReadOptions = {}): Promise<T[]> => {
    onStatement?.(sql);
    const result =
      prepare && options.prepare
        ? await client.query({ name: statementName(sql), text: sql, values: params })
        : await client.query(sql, params);
    return result.rows as T[];
  });
}

/** 'per-connection': the statements each connection prepared with SQL's PREPARE. A connection that goes away takes its entry with it. */
const preparedOn = new WeakMap<pg.PoolClient, Set<string>>();

/**
 * A value as an SQL literal, for the simple protocol, which takes no parameters: quoted like a text
 * parameter, so PostgreSQL gives it the type the statement needs, as it does a parameter's text.
 */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return `'${String(value)}'`;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return `'${value.toISOString()}'`;
  throw new TypeError(`readAsUser takes strings, finite numbers, booleans, dates and null as parameters, not ${typeof value}`);
}

/** Names by text, one map per prefix: the text itself is the key, with no copy built per request. */
const statementNames = { sb: new Map<string, string>(), sbr: new Map<string, string>() };

/**
 * A prepared statement's name from its text: the same text gets the same name on every connection.
 * `sb` names are prepared by node-postgres (ReadOptions.prepare), `sbr` ones by PREPARE (readAsUser).
 */
function statementName(sql: string, prefix: 'sb' | 'sbr' = 'sb'): string {
  const names = statementNames[prefix];
  let name = names.get(sql);
  if (!name) {
    name = `${prefix}_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    // The texts are a fixed set (ReadOptions.prepare); the bound only guards against a caller that is not.
    if (names.size >= 1000) names.clear();
    names.set(sql, name);
  }
  return name;
}

/** A Tx from its query function: one and maybeOne are the same on every kind of Tx. */
export function txOf(query: Tx['query']): Tx {
  return {
    query,
    async one<T extends Row>(sql: string, params?: unknown[], options?: ReadOptions) {
      const rows = await query<T>(sql, params, options);
      if (rows.length !== 1) throw new Error(`Expected one row, got ${rows.length}`);
      return rows[0]!;
    },
    async maybeOne<T extends Row>(sql: string, params?: unknown[], options?: ReadOptions) {
      const rows = await query<T>(sql, params, options);
      return rows[0] ?? null;
    },
  };
}

export { isDatabaseUnavailable } from './unavailable';

/** PostgreSQL error codes the services turn into answers a person understands. */
export function pgErrorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
