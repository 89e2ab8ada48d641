import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { itOnPostgres } from '../helpers/postgres-only';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Runs `npm run migrate`'s entry in a child process, as a user would. */
function migrateCli(env: Record<string, string>) {
  return run(TSX, ['server/db/migrate-cli.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });
}

const EXPECTED_TABLES = [
  'api_key_connections',
  'assistant_integrations',
  'assistant_tokens',
  'assistants',
  'audit_events',
  'catalog_stamp',
  'composio_toolkit_fetches',
  'composio_tools',
  'connect_states',
  'connection_counts',
  'encryption_key_check',
  'integrations',
  'login_throttle',
  'mcp_tool_calls',
  'oauth2_connections',
  'session',
  'team_users',
  'teams',
  'users',
  'webhook_deliveries',
];

describe('migrations', () => {
  it('migrate from an empty embedded database, then again with nothing to do', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-migrate-'));
    try {
      const first = await migrateCli({ DATA_DIR: dir });
      expect(first.stdout).toContain('migration up: 1763800000000_schema');
      expect(first.stdout).toContain('embedded PostgreSQL (PGlite)');
      const second = await migrateCli({ DATA_DIR: dir });
      expect(second.stdout).not.toContain('migration up');
      expect(second.stdout).toContain('Database is up to date');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000); // two command-line runs on a fresh embedded database

  const serverUrl = process.env.TEST_DATABASE_URL;
  itOnPostgres(
    'migrate from an empty PostgreSQL database creates every table with row-level security',
    async () => {
      const name = `switchboard_migrate_${process.pid}_${Date.now()}`;
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(serverUrl!);
      url.pathname = `/${name}`;
      try {
        const out = await migrateCli({ DATABASE_URL: url.toString() });
        expect(out.stdout).toContain('migration up: 1763800000000_schema');
        const client = new pg.Client({ connectionString: url.toString() });
        await client.connect();
        const tables = await client.query<{ tablename: string; rowsecurity: boolean }>(
          `SELECT tablename, rowsecurity FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY tablename COLLATE "C"`,
        );
        const catalog = await client.query<{ slug: string }>('SELECT slug FROM integrations');
        await client.end();
        expect(tables.rows.map((r) => r.tablename)).toEqual(EXPECTED_TABLES);
        const withRls = tables.rows.filter((r) => r.rowsecurity).map((r) => r.tablename);
        expect(withRls).toEqual([
          'api_key_connections',
          'assistant_integrations',
          'assistant_tokens',
          'assistants',
          'audit_events',
          'connect_states',
          'connection_counts',
          'mcp_tool_calls',
          'oauth2_connections',
          'team_users',
          'teams',
          'users',
        ]);
        expect(catalog.rows.map((r) => r.slug)).toEqual(
          expect.arrayContaining(['gmail', 'googledocs', 'googlesheets', 'google_drive', 'googlecalendar', 'github', 'notion', 'linear']),
        );
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    },
    90_000,
  );
});
