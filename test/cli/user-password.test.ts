import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { verifyPassword } from '../../server/auth/password';
import { startEmbeddedDatabase } from '../../server/db/embedded';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** `npm run user:password -- ...` as a script runs it: the new password on standard input. */
function userPassword(dataDir: string, args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, ['server/cli/user-password.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

async function passwordHashOf(dataDir: string, email: string): Promise<string> {
  const embedded = await startEmbeddedDatabase(dataDir);
  const client = new pg.Client({ connectionString: embedded.connectionString });
  try {
    await client.connect();
    return (await client.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [email])).rows[0]!
      .password_hash;
  } finally {
    await client.end();
    await embedded.stop();
  }
}

describe('npm run user:password', () => {
  it('resets a password from standard input, refuses a short one or an unknown user, and never prints it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-'));
    try {
      await run(TSX, ['server/cli/user-create.ts', '--email', 'ana@example.com', '--password', 'the first password', '--team', 'Sales'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dir },
      });
      const short = await userPassword(dir, ['--email', 'ana@example.com'], 'short\n');
      expect(short.code).toBe(1);
      expect(short.stderr.trim()).toBe('The password must be at least 8 characters. Nothing was changed.');
      const unknown = await userPassword(dir, ['--email', 'bo@example.com'], 'a new long password\n');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim()).toBe('There is no user bo@example.com; nothing was changed.');

      const changed = await userPassword(dir, ['--email', 'Ana@Example.com'], 'a new long password\n');
      expect(changed.code).toBe(0);
      expect(changed.stdout.trim()).toBe('Changed the password of ana@example.com and signed them out everywhere (0 sessions).');
      expect(changed.stdout + changed.stderr).not.toContain('a new long password');
      const hash = await passwordHashOf(dir, 'ana@example.com');
      expect(await verifyPassword('a new long password', hash)).toBe(true);
      expect(await verifyPassword('the first password', hash)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('explains a missing --email', async () => {
    const res = await userPassword(fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-')), [], '');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--email is required.');
    expect(res.stderr).toContain('Usage: npm run user:password');
  });
});
