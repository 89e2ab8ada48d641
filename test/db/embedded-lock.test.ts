import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createDatabase } from '../../server/db';
import { EmbeddedDatabaseBusyError, startEmbeddedDatabase } from '../../server/db/embedded';
import { migrate } from '../../server/db/migrate';
import { csrfFrom } from '../helpers/app';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const DEMO_PASSWORD = 'lock-test-password';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-lock-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const lockOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'embedded-db.json'), 'utf8')) as { pid: number; port: number };

describe('the embedded database', () => {
  it("keeps 16 MB of shared buffers, not the 128 MB a server of its own would (its memory is the app's)", async () => {
    const embedded = await startEmbeddedDatabase(tempDir());
    const db = createDatabase({ connectionString: embedded.connectionString, description: 'settings test', maxConnections: 1 });
    try {
      const row = await db.withOwner((tx) =>
        tx.one<{ shared_buffers: string }>("SELECT current_setting('shared_buffers') AS shared_buffers"),
      );
      expect(row.shared_buffers).toBe('16MB');
    } finally {
      await db.close();
      await embedded.stop();
    }
  }, 90_000);
});

describe('the embedded data directory lock', () => {
  it('is held while the database is open, refuses a second opener, and is released on stop', async () => {
    const dir = tempDir();
    const first = await startEmbeddedDatabase(dir);
    try {
      expect(lockOf(dir)).toEqual({ pid: process.pid, port: Number(new URL(first.connectionString).port) });
      await expect(startEmbeddedDatabase(dir)).rejects.toThrow(EmbeddedDatabaseBusyError);
    } finally {
      await first.stop();
    }
    expect(fs.existsSync(path.join(dir, 'embedded-db.json'))).toBe(false);
    const again = await startEmbeddedDatabase(dir);
    await again.stop();
  }, 90_000);

  it('takes over a lock left by a process that is gone', async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(dir, 'embedded-db.json'), JSON.stringify({ pid: Number(gone), port: 1 }));
    const embedded = await startEmbeddedDatabase(dir);
    try {
      expect(lockOf(dir).pid).toBe(process.pid);
    } finally {
      await embedded.stop();
    }
  }, 90_000);
});

interface Started {
  child: ChildProcess;
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the port once the app says it is listening; null if it exits first. */
  listening: Promise<number | null>;
}

function startApp(dataDir: string): Started {
  const child = spawn(TSX, ['server/index.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', DEMO_PASSWORD, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<number | null>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running at http:\/\/localhost:(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    void exit.then(() => resolve(null));
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { child, exit, listening, stdout: () => out, stderr: () => err };
}

describe('two app processes starting together on one embedded data directory', () => {
  it('runs exactly one; the other exits saying why; what the runner acknowledged is kept', async () => {
    const dir = tempDir();
    // An already-initialised directory, as in the report.
    const setup = await startEmbeddedDatabase(dir);
    await migrate(setup.connectionString);
    await setup.stop();

    const apps = [startApp(dir), startApp(dir)];
    const ports = await Promise.all(apps.map((a) => a.listening));
    const losers = apps.filter((_, i) => ports[i] === null);
    try {
      expect(ports.filter((port) => port !== null)).toHaveLength(1);
      expect(await losers[0]!.exit).toBe(1);
      expect(losers[0]!.stderr()).toMatch(
        /^The embedded database in .+ is in use by another Switchboard process \(pid \d+\)\. Stop that process first/m,
      );

      const base = `http://127.0.0.1:${ports.find((p) => p !== null)}`;
      const agent = request.agent(base);
      const login = await agent.get('/login');
      expect(
        (
          await agent
            .post('/login')
            .type('form')
            .send({ email: 'demo@example.com', password: DEMO_PASSWORD, _csrf: csrfFrom(login.text) })
        ).status,
      ).toBe(303);
      const home = await agent.get('/app').redirects(1);
      const teamPage = new URL(home.redirects.at(-1) ?? `${base}/app`).pathname;
      expect(teamPage).toMatch(/^\/app\/team\/\d+\/assistants$/);
      let acknowledged = 0;
      for (let i = 0; i < 20; i++) {
        const res = await agent
          .post(teamPage)
          .type('form')
          .send({ _csrf: csrfFrom(home.text), name: `Kept ${i}`, description: '' });
        if (res.status === 303) acknowledged++;
      }
      expect(acknowledged).toBe(20);

      // The command line refuses too while the app holds the directory.
      const cli = spawnSync(
        TSX,
        ['server/cli/user-create.ts', '--email', 'x@example.com', '--password', 'a long password', '--team', 'X'],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', DATA_DIR: dir },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(cli.status).toBe(1);
      expect(cli.stderr).toContain('is in use by another Switchboard process');
    } finally {
      for (const a of apps) a.child.kill('SIGTERM');
      await Promise.all(apps.map((a) => a.exit));
    }

    const reopened = await startEmbeddedDatabase(dir);
    const db = createDatabase({
      connectionString: reopened.connectionString,
      description: 'reopened',
      maxConnections: 1,
      onClose: () => reopened.stop(),
    });
    try {
      const { n } = await db.withOwner((tx) => tx.one<{ n: number }>("SELECT count(*)::int AS n FROM assistants WHERE name LIKE 'Kept %'"));
      expect(n).toBe(20);
    } finally {
      await db.close();
    }
  }, 90_000);
});
