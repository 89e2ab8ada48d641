import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase } from '../../server/db/embedded';
import { migrate } from '../../server/db/migrate';

/**
 * One database per test run: a fresh database on TEST_DATABASE_URL's server (dropped afterwards),
 * or the embedded database in a temporary directory. Workers read the URL from the environment.
 */
export default async function globalSetup(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  let url: string;
  if (serverUrl) {
    const name = `switchboard_test_${process.pid}_${Date.now()}`;
    await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
    const parsed = new URL(serverUrl);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
    process.env.SWITCHBOARD_TEST_DB_NAME = name;
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
    const embedded = await startEmbeddedDatabase(dir);
    (globalThis as Record<string, unknown>).__switchboardEmbedded = { embedded, dir };
    url = embedded.connectionString;
  }
  await migrate(url);
  process.env.SWITCHBOARD_TEST_DB_URL = url;
}

export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
