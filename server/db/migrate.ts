import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

interface MigrateLogger {
  info(msg: string): void;
}

/**
 * Runs pending SQL migrations under node-pg-migrate's advisory lock; a second instance starting at
 * the same time waits for the first instead of failing.
 */
export async function migrate(connectionString: string, logger?: MigrateLogger): Promise<string[]> {
  // node-pg-migrate is ESM-only; Node 20.19+ loads it from CommonJS.
  const { runner } = await import('node-pg-migrate');
  const client = new pg.Client({ connectionString });
  client.on('error', () => {}); // a dropped connection fails the running statement, which is reported
  await client.connect();
  try {
    const ran = await runner({
      dbClient: client,
      dir: migrationsDir(),
      direction: 'up',
      count: Infinity,
      migrationsTable: 'pgmigrations',
      singleTransaction: true,
      advisoryLockMode: 'wait',
      log: () => {},
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    for (const m of ran) logger?.info(`migration up: ${m.name}`);
    return ran.map((m) => m.name);
  } finally {
    await client.end();
  }
}

// Sources run from server/db, compiled code from dist/server/db: migrations/ is two or three levels up.
function migrationsDir(): string {
  const fromSource = path.resolve(__dirname, '..', '..', 'migrations');
  return fs.existsSync(fromSource) ? fromSource : path.resolve(__dirname, '..', '..', '..', 'migrations');
}
