import pg from 'pg';

/**
 * The one module that imports pg. Transactions exist only inside a callback, so commit, rollback
 * and release cannot be forgotten.
 */

export type Row = Record<string, unknown>;

export interface Tx {
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Exactly one row, or throws. */
  one<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T>;
  /** The first row or null. */
  maybeOne<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T | null>;
}

export interface Database {
  /** Runs fn in a transaction as the app role with the acting user set: row-level security applies. */
  withUser<T>(userId: number, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs fn in a transaction as the table owner: for sign-in, seeding and the command line only. */
  withOwner<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  ping(): Promise<boolean>;
  readonly pool: pg.Pool;
  readonly description: string;
  close(): Promise<void>;
}

export const APP_ROLE = 'switchboard_app';

export interface DatabaseOptions {
  connectionString: string;
  description: string;
  maxConnections?: number;
  /** Called with every statement sent; the statement-count tests and the benchmark use it. */
  onStatement?: (sql: string) => void;
  /** Extra work when the database closes, e.g. stopping the embedded server. */
  onClose?: () => Promise<void>;
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
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});

  async function transaction<T>(setup: ((client: pg.PoolClient) => Promise<void>) | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    const tx = wrap(client, options.onStatement);
    try {
      await client.query('BEGIN');
      options.onStatement?.('BEGIN');
      if (setup) await setup(client);
      const result = await fn(tx);
      await client.query('COMMIT');
      options.onStatement?.('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    pool,
    description: options.description,
    withUser(userId, fn) {
      return transaction(async (client) => {
        // Transaction-local: the embedded database shares one session across pooled connections.
        await client.query(`SELECT set_config('role', $1, true), set_config('app.user_id', $2, true)`, [APP_ROLE, String(userId)]);
        options.onStatement?.('SET acting user');
      }, fn);
    },
    withOwner(fn) {
      return transaction(null, fn);
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
      await pool.end();
      await options.onClose?.();
    },
  };
}

function wrap(client: pg.PoolClient, onStatement?: (sql: string) => void): Tx {
  async function query<T extends Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    onStatement?.(sql);
    const result = await client.query(sql, params);
    return result.rows as T[];
  }
  return {
    query,
    async one<T extends Row>(sql: string, params?: unknown[]) {
      const rows = await query<T>(sql, params);
      if (rows.length !== 1) throw new Error(`Expected one row, got ${rows.length}`);
      return rows[0]!;
    },
    async maybeOne<T extends Row>(sql: string, params?: unknown[]) {
      const rows = await query<T>(sql, params);
      return rows[0] ?? null;
    },
  };
}

/** PostgreSQL error codes the services turn into answers a person understands. */
export function pgErrorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
