import fs from 'node:fs';
import path from 'node:path';

/**
 * How `npm start` runs the app, read from package.json's start script
 * (`NAME=value ... node --flag ... dist/server/index.js`): the benchmark starts the app the same way,
 * and a test holds the Docker image to it (test/config/start-command.test.ts).
 */
export interface StartCommand {
  env: Record<string, string>;
  nodeFlags: string[];
  script: string;
}

export function parseStartCommand(command: string): StartCommand {
  const words = command.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]!); i++) {
    const [name, ...value] = words[i]!.split('=');
    env[name!] = value.join('=');
  }
  if (words[i] !== 'node') throw new Error(`npm start should run node, after any NAME=value settings: ${command}`);
  const nodeFlags: string[] = [];
  for (i++; i < words.length && words[i]!.startsWith('-'); i++) nodeFlags.push(words[i]!);
  const script = words[i];
  if (!script || i !== words.length - 1) throw new Error(`npm start should end with the script node runs: ${command}`);
  return { env, nodeFlags, script };
}

export function readStartCommand(root: string): StartCommand {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const start = pkg.scripts?.start;
  if (!start) throw new Error('package.json has no start script.');
  return parseStartCommand(start);
}
