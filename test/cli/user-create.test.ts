import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** `npm run user:create -- ...` as a person runs it, on an embedded data directory. */
async function userCreate(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['server/cli/user-create.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-'));

describe('npm run user:create', () => {
  it('creates the user, the team and the membership, and is safe to run again', async () => {
    const dir = tempDir();
    try {
      const first = await userCreate(dir, [
        '--email',
        'Ana@Example.com',
        '--password',
        'a long password',
        '--team',
        'Sales',
        '--role',
        'admin',
      ]);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('Created user ana@example.com.');
      expect(first.stdout).toMatch(/Created team "Sales"; it syncs the accounts of Composio user id sb_team_[0-9a-f]{32}\./);
      expect(first.stdout).toContain('ana@example.com is an admin of "Sales".');
      const again = await userCreate(dir, ['--email', 'ana@example.com', '--password', 'another password', '--team', 'Support']);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('already existed; the password was left unchanged');
      expect(again.stdout).toContain('ana@example.com is a member of "Support".');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000); // several command-line runs, each opening the embedded database and migrating it

  it('explains bad arguments and changes nothing', async () => {
    const dir = tempDir();
    try {
      const res = await userCreate(dir, ['--email', 'not-an-email', '--password', 'a long password', '--team', 'Sales']);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('--email must be an email address.');
      expect(res.stderr).toContain('Usage: npm run user:create');
      expect(fs.existsSync(path.join(dir, 'pgdata'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses, without touching the data, while a running app holds the embedded database', async () => {
    const dir = tempDir();
    try {
      // The lock file a running app writes; this test process stands in for the app.
      fs.writeFileSync(path.join(dir, 'embedded-db.json'), JSON.stringify({ pid: process.pid, port: 1 }));
      const res = await userCreate(dir, ['--email', 'ana@example.com', '--password', 'a long password', '--team', 'Sales']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`is in use by another Switchboard process (pid ${process.pid})`);
      expect(res.stderr).toContain('Stop that process first');
      expect(fs.existsSync(path.join(dir, 'pgdata'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
