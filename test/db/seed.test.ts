import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase, type Database } from '../../server/db';
import { startEmbeddedDatabase } from '../../server/db/embedded';
import { migrate } from '../../server/db/migrate';
import { verifyPassword } from '../../server/auth/password';
import { DEMO_EMAIL, DEMO_TEAM, seedDemo } from '../../server/seed';
import { startupLine } from '../../server/users/sign-in-hint';
import { testConfig } from '../helpers/app';

/**
 * Several instances starting together on one fresh database each run the demo seed. On PostgreSQL
 * each has its own pool (as separate processes would); the embedded database takes one connection.
 * A database of the test's own, so the demo team exists only there.
 */

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const INSTANCES = 8;
let url: string;
let cleanUp: () => Promise<void>;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  if (onPostgres) {
    const name = `switchboard_seed_${process.pid}_${Date.now()}`;
    await admin(`CREATE DATABASE ${name}`);
    const parsed = new URL(process.env.TEST_DATABASE_URL!);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
    cleanUp = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-seed-'));
    const embedded = await startEmbeddedDatabase(dir);
    url = embedded.connectionString;
    cleanUp = async () => {
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  }
  await migrate(url);
}, 60_000);
afterAll(() => cleanUp());

describe('the demo seed', () => {
  it('creates the demo team once when several instances start together', async () => {
    const config = testConfig({ DEMO_PASSWORD: 'demo-password' });
    const shared = onPostgres ? null : createDatabase({ connectionString: url, description: 'seed', maxConnections: 1 });
    const instances: Database[] = Array.from(
      { length: INSTANCES },
      () => shared ?? createDatabase({ connectionString: url, description: 'seed', maxConnections: 2 }),
    );
    const printed: string[] = [];
    try {
      await Promise.all(instances.map((db) => seedDemo(db, config, (msg) => printed.push(msg))));
      await seedDemo(instances[0]!, config, (msg) => printed.push(msg));

      const counts = await instances[0]!.withOwner((tx) =>
        tx.one(
          `SELECT (SELECT count(*)::int FROM users WHERE email = $1) AS users,
                  (SELECT count(*)::int FROM teams WHERE name = $2) AS teams,
                  (SELECT count(*)::int FROM team_users JOIN teams ON teams.id = team_id WHERE teams.name = $2) AS members,
                  (SELECT count(*)::int FROM assistants JOIN teams ON teams.id = team_id WHERE teams.name = $2) AS assistants`,
          [DEMO_EMAIL, DEMO_TEAM],
        ),
      );
      expect(counts).toEqual({ users: 1, teams: 1, members: 1, assistants: 2 });
      expect(printed).toHaveLength(1);
      expect(printed[0]).toContain(`Sign in as ${DEMO_EMAIL}`);
    } finally {
      await Promise.all([...new Set(instances)].map((db) => db.close()));
    }
  });

  it('a later start applies a changed DEMO_PASSWORD, says so, and signs the demo user out; the same one again changes nothing', async () => {
    const db = createDatabase({ connectionString: url, description: 'seed', maxConnections: 1 });
    const printed: string[] = [];
    try {
      await seedDemo(db, testConfig({ DEMO_PASSWORD: 'demo-password' }), (msg) => printed.push(msg));
      const user = await db.withOwner((tx) => tx.one<{ id: number }>('SELECT id FROM users WHERE email = $1', [DEMO_EMAIL]));
      await db.withOwner((tx) =>
        tx.query("INSERT INTO session (sid, sess, expire) VALUES ('seed-test', $1, now() + interval '1 hour')", [{ userId: user.id }]),
      );

      await seedDemo(db, testConfig({ DEMO_PASSWORD: 'a-new-demo-password' }), (msg) => printed.push(msg));
      await seedDemo(db, testConfig({ DEMO_PASSWORD: 'a-new-demo-password' }), (msg) => printed.push(msg));
      await seedDemo(db, testConfig(), (msg) => printed.push(msg));

      const after = await db.withOwner((tx) =>
        tx.one<{ password_hash: string; sessions: number }>(
          "SELECT password_hash, (SELECT count(*)::int FROM session WHERE sess->>'userId' = $2) AS sessions FROM users WHERE email = $1",
          [DEMO_EMAIL, String(user.id)],
        ),
      );
      expect(await verifyPassword('a-new-demo-password', after.password_hash)).toBe(true);
      expect(after.sessions).toBe(0);
      expect(printed).toEqual([
        `DEMO_PASSWORD is now the password of ${DEMO_EMAIL} (it was different; the demo user was signed out everywhere).`,
      ]);
    } finally {
      await db.close();
    }
  });

  it('the start-up line names the address and who can sign in, never a password', async () => {
    const db = createDatabase({ connectionString: url, description: 'seed', maxConnections: 1 });
    try {
      const withPassword = await startupLine(db, testConfig({ DEMO_PASSWORD: 'a-new-demo-password' }), 'http://localhost:3000');
      expect(withPassword).toBe(`Switchboard is running at http://localhost:3000 — sign in as ${DEMO_EMAIL} (password from DEMO_PASSWORD)`);
      const generated = await startupLine(db, testConfig(), 'http://localhost:3000');
      expect(generated).toContain(`npm run user:password -- --email ${DEMO_EMAIL}`);
      const production = await startupLine(
        db,
        testConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'a'.repeat(64) }),
        'http://localhost:3000',
      );
      expect(production).toBe(
        'Switchboard is running at http://localhost:3000 — 1 user can sign in; add one with node dist/server/cli/user-create.js',
      );
    } finally {
      await db.close();
    }
  });
});
