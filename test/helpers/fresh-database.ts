import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase, type Database } from '../../server/db';
import { startEmbeddedDatabase } from '../../server/db/embedded';
import { migrate } from '../../server/db/migrate';

/**
 * An empty, migrated database of a test's own, for tests that start processes on it or need it to
 * hold nothing else: a new database on TEST_DATABASE_URL's server, or a new embedded data directory.
 */
export interface FreshDatabase {
  /** A data directory of its own (generated secrets live there), always set. */
  dataDir: string;
  /** What a child process needs to use this database: DATA_DIR, and DATABASE_URL on PostgreSQL. */
  env: Record<string, string>;
  /** Opens it for fn. On the embedded database nothing else may hold it meanwhile. */
  use<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export async function freshDatabase(): Promise<FreshDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-fresh-'));
  const server = process.env.TEST_DATABASE_URL;
  if (server) {
    const name = `switchboard_fresh_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await admin(server, `CREATE DATABASE ${name}`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    await migrate(url.toString());
    return {
      dataDir,
      env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
      async use(fn) {
        const db = createDatabase({ connectionString: url.toString(), description: 'fresh', maxConnections: 2 });
        try {
          return await fn(db);
        } finally {
          await db.close();
        }
      },
      async drop() {
        await admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  return {
    dataDir,
    env: { DATA_DIR: dataDir },
    async use(fn) {
      const embedded = await startEmbeddedDatabase(dataDir);
      const db = createDatabase({
        connectionString: embedded.connectionString,
        description: 'fresh',
        maxConnections: 1,
        onClose: () => embedded.stop(),
      });
      try {
        await migrate(embedded.connectionString);
        return await fn(db);
      } finally {
        await db.close();
      }
    },
    async drop() {
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
