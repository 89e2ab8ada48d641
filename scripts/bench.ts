/**
 * npm run bench: measures what the tests only bound. Runs on DATABASE_URL (a scratch database it
 * creates and drops) or on a temporary embedded database.
 *  - the assistant integrations page with 50 integrations and 200 connections: statements and time
 *  - a sync of 5,000 Composio accounts against the fake Composio: statements and time
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../server/app';
import { createComposioGateway } from '../server/composio/client';
import { loadConfig } from '../server/config';
import { createDatabase } from '../server/db';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../server/db/embedded';
import { migrate } from '../server/db/migrate';
import { createLogger } from '../server/logger';
import { provisionUser } from '../server/users/provision';
import { startFakeComposio } from '../test/fakes/composio-server';

const PAGE_RUNS = 50;

async function main(): Promise<void> {
  const { url, cleanUp, label } = await scratchDatabase();
  const statements: string[] = [];
  const db = createDatabase({ connectionString: url, description: label, maxConnections: process.env.DATABASE_URL ? 10 : 1, onStatement: (sql) => statements.push(sql) });
  const fake = await startFakeComposio();
  try {
    await migrate(url);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-config-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, COMPOSIO_USER_ID: 'bench' });
    const composio = createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url });
    const app = createApp({ config, db, logger: createLogger('silent'), composio });

    const { teamId, promptId } = await db.withOwner(async (tx) => {
      const { teamId } = await provisionUser(tx, { email: 'bench@example.com', password: 'bench-password', teamName: 'Bench', role: 'admin' });
      const { id } = await tx.one<{ id: number }>("INSERT INTO prompts (team_id, name) VALUES ($1, 'Bench Assistant') RETURNING id", [teamId]);
      const existing = (await tx.one<{ n: number }>('SELECT count(*)::int AS n FROM integrations')).n;
      await tx.query(
        `INSERT INTO integrations (slug, label, icon, category, category_position, position, description, auth)
         SELECT 'bench_' || g, 'Bench ' || g, 'Bx', 'Bench', 99, g, 'A benchmark integration', 'api_key' FROM generate_series(1, $1) g`,
        [50 - existing],
      );
      await tx.query(
        `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
         SELECT $1, i.id, 'key ' || g, 'v1:x', '••••' FROM integrations i CROSS JOIN generate_series(1, 5) g WHERE i.slug LIKE 'bench_%'`,
        [teamId],
      );
      // Top up to 200 connections with OAuth2 accounts.
      await tx.query(
        `INSERT INTO oauth2_connections (team_id, integration_id, composio_account_id, composio_toolkit, composio_status, connected_at, composio_updated_at)
         SELECT $1, i.id, 'ca_page_' || g, 'gmail', 'ACTIVE', now(), now()
           FROM integrations i CROSS JOIN generate_series(1, 200 - (SELECT count(*) FROM api_key_connections WHERE team_id = $1)) g
          WHERE i.slug = 'gmail'`,
        [teamId],
      );
      await tx.query(
        `INSERT INTO prompt_integration (team_id, prompt_id, integration_id, api_connection_id)
         SELECT $1, $2, a.integration_id, min(a.id) FROM api_key_connections a WHERE a.team_id = $1 GROUP BY a.integration_id`,
        [teamId, id],
      );
      return { teamId, promptId: id };
    });
    const connections = await db.withOwner((tx) =>
      tx.one<{ n: number }>('SELECT (SELECT count(*) FROM api_key_connections WHERE team_id = $1) + (SELECT count(*) FROM oauth2_connections WHERE team_id = $1) AS n', [teamId]),
    );

    const agent = request.agent(app);
    const login = await agent.get('/login');
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(login.text)![1]!;
    await agent.post('/login').type('form').send({ email: 'bench@example.com', password: 'bench-password', _csrf: csrf }).expect(303);
    const pageUrl = `/app/team/${teamId}/assistant/${promptId}/integrations`;
    await agent.get(pageUrl).expect(200); // warm up

    const times: number[] = [];
    let pageStatements = 0;
    for (let i = 0; i < PAGE_RUNS; i++) {
      const before = statements.length;
      const started = performance.now();
      await agent.get(pageUrl).expect(200);
      times.push(performance.now() - started);
      pageStatements = statements.length - before;
    }
    times.sort((a, b) => a - b);

    await db.withOwner((tx) => tx.query("UPDATE teams SET composio_user_id = 'bench' WHERE id = $1", [teamId]));
    const toolkits = ['gmail', 'github', 'notion', 'linear', 'googledrive', 'googlecalendar', 'googledocs', 'googlesheets'];
    fake.setAccounts(Array.from({ length: 5000 }, (_, i) => ({ id: `ca_bench_${i}`, userId: 'bench', toolkit: toolkits[i % toolkits.length]!, email: `user${i}@example.com` })));
    const apiToken = /name="csrf-token" content="([^"]+)"/.exec((await agent.get(pageUrl)).text)![1]!;
    const syncs: { ms: number; statements: number }[] = [];
    for (const round of ['first sync (5,000 new)', 'second sync (5,000 unchanged)']) {
      const before = statements.length;
      const started = performance.now();
      const res = await agent.post(`/api/teams/${teamId}/integrations/sync`).set('X-CSRF-Token', apiToken).expect(200);
      syncs.push({ ms: performance.now() - started, statements: statements.length - before });
      console.log(`${round}: ${JSON.stringify(res.body)}`);
    }
    const listRequests = fake.requests.filter((r) => r.method === 'GET').length;

    console.log(`\nDatabase: ${label}`);
    console.log(`Assistant integrations page, 50 integrations, ${connections.n} connections, ${PAGE_RUNS} runs:`);
    console.log(`  statements per page: ${pageStatements}`);
    console.log(`  median ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms, p95 ${times[Math.floor(times.length * 0.95)]!.toFixed(1)} ms`);
    console.log(`Sync of 5,000 accounts from the fake Composio (${listRequests / 2} pages per sync):`);
    syncs.forEach((s, i) => console.log(`  ${i === 0 ? 'first ' : 'second'}: ${s.ms.toFixed(0)} ms, ${s.statements} statements`));
  } finally {
    await db.close();
    await fake.close();
    await cleanUp();
  }
}

async function scratchDatabase(): Promise<{ url: string; label: string; cleanUp: () => Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `switchboard_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      label: `PostgreSQL (scratch database ${name})`,
      cleanUp: async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  const embedded: EmbeddedDatabase = await startEmbeddedDatabase(dir);
  return {
    url: embedded.connectionString,
    label: 'embedded PGlite (temporary directory)',
    cleanUp: async () => {
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
