import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseStartCommand, readStartCommand } from '../../bench/start-command';

const ROOT = path.resolve(__dirname, '..', '..');

describe('how the app is started', () => {
  const start = readStartCommand(ROOT);

  it('npm start fixes glibc’s mmap threshold (decision 025) and runs the compiled server', () => {
    expect(start).toEqual({ env: { MALLOC_MMAP_THRESHOLD_: '131072' }, nodeFlags: [], script: 'dist/server/index.js' });
  });

  it('node accepts npm start’s flags, if any (a misspelt one stops node before the app starts)', () => {
    const run = spawnSync(process.execPath, [...start.nodeFlags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const misspelt = spawnSync(process.execPath, ['--max-semi-space=32', '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(misspelt.status).not.toBe(0);
  });

  it('the Docker image runs the app as npm start does: the same settings, node flags and script', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    // The last stage's ENV lines (NAME=value pairs) and its exec-form CMD.
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const env = Object.fromEntries(
      [...finalStage.matchAll(/^ENV (.+)$/gm)].flatMap((m) =>
        m[1]!
          .trim()
          .split(/\s+/)
          .map((pair) => pair.split('=') as [string, string]),
      ),
    );
    for (const [name, value] of Object.entries(start.env)) expect(env[name]).toBe(value);
    const cmd = /^CMD (\[.*\])$/m.exec(finalStage);
    expect(cmd).not.toBeNull();
    expect(JSON.parse(cmd![1]!)).toEqual(['node', ...start.nodeFlags, start.script]);
  });

  it('reads settings, flags and the script, and refuses a command it cannot read', () => {
    expect(parseStartCommand('A=1 B=x=y node --one --two=2 app.js')).toEqual({
      env: { A: '1', B: 'x=y' },
      nodeFlags: ['--one', '--two=2'],
      script: 'app.js',
    });
    expect(parseStartCommand('node app.js')).toEqual({ env: {}, nodeFlags: [], script: 'app.js' });
    expect(() => parseStartCommand('tsx server/index.ts')).toThrow('should run node');
    expect(() => parseStartCommand('node --flag')).toThrow('should end with the script');
    expect(() => parseStartCommand('node app.js && echo done')).toThrow('should end with the script');
  });
});
