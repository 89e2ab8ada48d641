import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase, type Database } from '../../server/db';
import { startEmbeddedDatabase } from '../../server/db/embedded';
import { migrate } from '../../server/db/migrate';
import { DEMO_EMAIL, DEMO_TEAM, seedDemo } from '../../server/seed';
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
    const instances: Database[] = Array.from({ length: INSTANCES }, () => shared ?? createDatabase({ connectionString: url, description: 'seed', maxConnections: 2 }));
    const printed: string[] = [];
    try {
      await Promise.all(instances.map((db) => seedDemo(db, config, (msg) => printed.push(msg))));
      await seedDemo(instances[0]!, config, (msg) => printed.push(msg));

      const counts = await instances[0]!.withOwner((tx) =>
        tx.one(
          `SELECT (SELECT count(*)::int FROM users WHERE email = $1) AS users,
                  (SELECT count(*)::int FROM teams WHERE name = $2) AS teams,
                  (SELECT count(*)::int FROM team_users JOIN teams ON teams.id = team_id WHERE teams.name = $2) AS members,
                  (SELECT count(*)::int FROM prompts JOIN teams ON teams.id = team_id WHERE teams.name = $2) AS assistants`,
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
});
