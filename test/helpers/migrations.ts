import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase } from '../../server/db/embedded';

/** Helpers for tests of one migration: stop the schema where it was before it, then check its up and down. */

export const MIGRATIONS = path.resolve(__dirname, '..', '..', 'migrations');

/**
 * How many migrations came after the one whose file name starts with `name` (such as
 * '1764900000000'): run that many down to stand just after it, whatever is added later.
 */
export function migrationsAfter(name: string): number {
  const all = fs
    .readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const index = all.findIndex((f) => f.startsWith(name));
  if (index < 0) throw new Error(`No migration ${name}`);
  return all.length - 1 - index;
}

/** Runs `count` migrations up or down from where the database stands. */
export async function runMigrations(url: string, direction: 'up' | 'down', count: number): Promise<void> {
  const { runner } = await import('node-pg-migrate');
  await withClient(url, (client) =>
    runner({
      dbClient: client,
      dir: MIGRATIONS,
      direction,
      count,
      migrationsTable: 'pgmigrations',
      singleTransaction: true,
      log: () => {},
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    }),
  );
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs fn on a new embedded database in a data directory of its own, removed afterwards. */
export async function onEmbeddedDatabase(prefix: string, fn: (url: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const embedded = await startEmbeddedDatabase(dir);
  try {
    await fn(embedded.connectionString);
  } finally {
    await embedded.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs fn on a new, empty database on the TEST_DATABASE_URL server, dropped afterwards. */
export async function onNewServerDatabase(prefix: string, fn: (url: string) => Promise<void>): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set: run this under itOnPostgres.');
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    await fn(url.toString());
  } finally {
    await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}
