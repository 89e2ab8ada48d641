import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../server/app';
import { loadConfig, type Config } from '../../server/config';
import { createDatabase, type Database } from '../../server/db';
import { createAppServer } from '../../server/http/server';
import type { ComposioGateway } from '../../server/composio/types';
import { createLogger } from '../../server/logger';
import { provisionUser } from '../../server/users/provision';
import { hostAndPort, startTcpProxy, type TcpProxy } from './tcp-proxy';

export const TEST_ENCRYPTION_KEY = 'a'.repeat(64);

export interface TestApp {
  app: Express;
  db: Database;
  config: Config;
  /** Every SQL statement sent, for statement-count tests (the session store's included). */
  statements: string[];
  /** The statements the session store sent (through db.pool, outside any transaction). */
  sessionStatements: string[];
  /** Every log line written, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: path.join(os.tmpdir(), 'switchboard-test-config'),
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'info',
    ...overrides,
  });
}

/** The per-run test database's connection string (set by globalSetup). */
export function testDatabaseUrl(): string {
  const url = process.env.SWITCHBOARD_TEST_DB_URL;
  if (!url) throw new Error('SWITCHBOARD_TEST_DB_URL is not set: run the tests through jest (globalSetup).');
  return url;
}

export function makeTestApp(
  options: {
    composio?: ComposioGateway | null;
    config?: Record<string, string>;
    databaseUrl?: string;
    onlyProcess?: boolean;
    /** Database.notices; on a PostgreSQL server it is on unless a test turns it off, as in production. */
    notices?: boolean;
  } = {},
): TestApp {
  const url = options.databaseUrl ?? testDatabaseUrl();
  const statements: string[] = [];
  const logs: Record<string, unknown>[] = [];
  // Prepared page reads as in production, on either database (docs/decisions/020 and 036). The
  // embedded test database is one session that every test's pool shares, as the app's four
  // connections share it; its server takes eight connections, so each pool here takes two.
  const db = createDatabase({
    connectionString: url,
    description: 'test',
    maxConnections: process.env.TEST_DATABASE_URL ? 10 : 2,
    prepare: process.env.TEST_DATABASE_URL ? 'per-connection' : 'one-session',
    onStatement: (sql) => statements.push(sql),
    onlyProcess: options.onlyProcess,
    notices: options.notices ?? Boolean(process.env.TEST_DATABASE_URL),
  });
  const sessionStatements: string[] = [];
  const poolQuery = db.pool.query.bind(db.pool) as (...args: unknown[]) => unknown;
  db.pool.query = ((...args: unknown[]) => {
    const sql = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text);
    statements.push(sql);
    sessionStatements.push(sql);
    return poolQuery(...args);
  }) as typeof db.pool.query;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const config = testConfig(options.config);
  const app = createApp({ config, db, logger: createLogger('info', sink), composio: options.composio ?? null });
  return { app, db, config, statements, sessionStatements, logs, close: () => db.close() };
}

/**
 * The app on the test database through a relay that a test can cut and restore (./tcp-proxy.ts): a
 * database that goes away, mid-request if the test cuts it then. Quiet logs.
 */
export async function appThroughRelay(
  options: { composio?: ComposioGateway | null } = {},
): Promise<{ app: Express; db: Database; proxy: TcpProxy; close(): Promise<void> }> {
  const url = process.env.SWITCHBOARD_TEST_DB_URL!;
  const proxy = await startTcpProxy(hostAndPort(url));
  const db = createDatabase({
    connectionString: proxy.url(url),
    description: 'through a relay',
    maxConnections: process.env.TEST_DATABASE_URL ? 4 : 1,
  });
  const app = createApp({ config: testConfig(), db, logger: createLogger('silent'), composio: options.composio ?? null });
  return {
    app,
    db,
    proxy,
    async close() {
      await proxy.close();
      await db.close();
    },
  };
}

export interface Served {
  server: Server;
  /** http://127.0.0.1:<port> */
  base: string;
  close(): Promise<void>;
}

/** The app served as the entry point serves it (createAppServer), on a free port of 127.0.0.1. */
export async function serveApp(app: Express): Promise<Served> {
  const server = createAppServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Polls `check` until it holds, for up to two seconds: for what another connection makes happen a
 * moment later (a notice from the database).
 */
export async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('It did not happen within two seconds.');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function unique(prefix: string): string {
  return `${prefix} ${randomBytes(4).toString('hex')}`;
}

export interface TestUser {
  email: string;
  password: string;
  userId: number;
  teamId: number;
}

/** A user in a team of its own (or the named one), created as the table owner. */
export async function createUser(
  db: Database,
  options: { team?: string; role?: 'admin' | 'member'; email?: string } = {},
): Promise<TestUser> {
  const email = options.email ?? `${randomBytes(5).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const result = await db.withOwner((tx) =>
    provisionUser(tx, { email, password, teamName: options.team ?? unique('Team'), role: options.role ?? 'admin' }),
  );
  return { email, password, userId: result.userId, teamId: result.teamId };
}

export async function createAssistant(db: Database, teamId: number, name = unique('Assistant')): Promise<{ id: number; name: string }> {
  const row = await db.withOwner((tx) =>
    tx.one<{ id: number }>('INSERT INTO assistants (team_id, name) VALUES ($1, $2) RETURNING id', [teamId, name]),
  );
  return { id: row.id, name };
}

export interface SignedIn {
  agent: ReturnType<typeof request.agent>;
  csrf: string;
}

/**
 * Signs in through the real form and returns a cookie-keeping agent and the page's CSRF token.
 * `app` is the app, or a server already serving it.
 */
export async function signIn(app: Parameters<typeof request.agent>[0], user: { email: string; password: string }): Promise<SignedIn> {
  const agent = request.agent(app);
  const loginPage = await agent.get('/login');
  const loginToken = csrfFrom(loginPage.text);
  const res = await agent.post('/login').type('form').send({ email: user.email, password: user.password, _csrf: loginToken });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status} ${res.text.slice(0, 200)}`);
  const page = await agent.get('/app').redirects(1);
  if (page.status !== 200) throw new Error(`after sign-in: ${page.status} ${page.text.slice(0, 300)}`);
  return { agent, csrf: csrfFrom(page.text) };
}

/** A signed-in agent's cookies as a Cookie header, to send them from another client or to another app. */
export function cookieOf(signedIn: SignedIn): string {
  return (signedIn.agent as unknown as { jar: { getCookies(o: object): { toValueString(): string }[] } }).jar
    .getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false })
    .map((c) => c.toValueString())
    .join('; ');
}

/** Posts a form as a browser does with JavaScript off: URL-encoded, with the page's CSRF token. */
export function postForm(session: SignedIn, url: string, body: Record<string, string> = {}) {
  return session.agent
    .post(url)
    .type('form')
    .send({ ...body, _csrf: session.csrf });
}

export function csrfFrom(html: string): string {
  const match = /<meta name="csrf-token" content="([^"]*)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF token on the page');
  return match[1];
}

/** The flash messages a page shows: at the top, in the row a change was about, or left over at the end. */
export function flashText(html: string): string[] {
  return [...html.matchAll(/<p class="flash[ "][^>]*>([\s\S]*?)<\/p>/g)].map((m) => decodeEntities(m[1]!.trim()));
}

export function decodeEntities(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|#34|#39);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#34': '"', '#39': "'" })[name]!,
  );
}
