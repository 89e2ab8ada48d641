import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command line script as a person runs it, on an embedded data directory with the app stopped. */
async function cli(script: string, dataDir: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(TSX, [script, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const bind = (dir: string, team: string, userId: string) => cli('server/cli/team-composio.ts', dir, ['--team', team, '--user-id', userId]);

describe('npm run team:composio', () => {
  it('binds an existing Composio user id to a team, and refuses one that another team has', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-'));
    try {
      // COMPOSIO_USER_ID becomes the id of the first team of an empty database, and only of that one.
      const sales = await cli(
        'server/cli/user-create.ts',
        dir,
        ['--email', 'ana@example.com', '--password', 'a long password', '--team', 'Sales'],
        { COMPOSIO_USER_ID: 'alice-workspace' },
      );
      expect(sales.stdout).toContain('Created team "Sales"; it syncs the accounts of Composio user id alice-workspace.');
      const support = await cli(
        'server/cli/user-create.ts',
        dir,
        ['--email', 'bo@example.com', '--password', 'a long password', '--team', 'Support'],
        { COMPOSIO_USER_ID: 'alice-workspace' },
      );
      expect(support.stdout).toMatch(/Created team "Support"; it syncs the accounts of Composio user id sb_team_[0-9a-f]{32}\./);

      const taken = await bind(dir, 'Support', 'alice-workspace');
      expect(taken.code).toBe(1);
      expect(taken.stderr.trim()).toBe(
        'Composio user id alice-workspace belongs to team "Sales"; a team can only sync an id no other team has. Nothing was changed.',
      );

      const bound = await bind(dir, 'Support', 'bob-workspace');
      expect(bound.code).toBe(0);
      expect(bound.stdout).toMatch(
        /^Team "Support" now syncs the Composio accounts of user id bob-workspace \(it was sb_team_[0-9a-f]{32}\)\./,
      );

      // The binding holds: Sales cannot take it, and binding it again changes nothing.
      const stolen = await bind(dir, 'Sales', 'bob-workspace');
      expect(stolen.code).toBe(1);
      expect(stolen.stderr).toContain('belongs to team "Support"');
      const again = await bind(dir, 'Support', 'bob-workspace');
      expect(again.code).toBe(0);
      expect(again.stdout.trim()).toBe('Team "Support" already syncs Composio user id bob-workspace; nothing to change.');

      const unknown = await bind(dir, 'Marketing', 'carol');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim()).toBe('There is no team named "Marketing"; nothing was changed. Teams: "Sales", "Support".');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000); // seven command-line runs, each opening the embedded database

  it('explains bad arguments and touches no data', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-'));
    try {
      const missing = await cli('server/cli/team-composio.ts', dir, ['--team', 'Sales']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--user-id is required.');
      expect(missing.stderr).toContain('Usage: npm run team:composio');
      const spaced = await bind(dir, 'Sales', 'has a space');
      expect(spaced.code).toBe(2);
      expect(spaced.stderr).toContain('--user-id must be 1 to 200 characters, without spaces or control characters.');
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
