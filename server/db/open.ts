import type { Config } from '../config';
import { createDatabase, type Database, type DatabaseOptions } from './index';
import { startEmbeddedDatabase } from './embedded';
import { migrate } from './migrate';

export interface OpenOptions {
  onStatement?: DatabaseOptions['onStatement'];
  logger?: { info(msg: string): void; warn?(msg: string): void };
}

/**
 * Connections to the embedded database. Its one session runs one exchange at a time whatever the
 * number, but with several the next request's statement is already waiting when PGlite finishes
 * one, instead of after the request thread has taken the answer and handed the connection on
 * (docs/decisions/036-embedded-connections.md).
 */
export const EMBEDDED_POOL_SIZE = 4;

/** DATABASE_URL when set, the embedded database otherwise; migrated before it is returned. */
export async function openDatabase(config: Config, options: OpenOptions = {}): Promise<Database> {
  if (config.databaseUrl) {
    await migrate(config.databaseUrl, options.logger);
    return createDatabase({
      connectionString: config.databaseUrl,
      description: `PostgreSQL at ${redactUrl(config.databaseUrl)}`,
      onStatement: options.onStatement,
      prepare: 'per-connection',
      // Sessions are kept in each process, which hears of changes by NOTIFY (docs/decisions/032).
      notices: true,
    });
  }
  const embedded = await startEmbeddedDatabase(config.dataDir);
  if (!embedded.fileSizesKept)
    options.logger?.warn?.(
      "The embedded database asks a file's size at every scan: this PGlite's file system is not the one docs/decisions/033 expects.",
    );
  try {
    await migrate(embedded.connectionString, options.logger);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return createDatabase({
    connectionString: embedded.connectionString,
    description: `embedded PostgreSQL (PGlite) in ${config.dataDir}`,
    maxConnections: EMBEDDED_POOL_SIZE,
    prepare: 'one-session',
    // The data directory's lock keeps every other process out (docs/decisions/005-embedded-database-lock.md).
    onlyProcess: true,
    onStatement: options.onStatement,
    onClose: () => embedded.stop(),
  });
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured server';
  }
}
