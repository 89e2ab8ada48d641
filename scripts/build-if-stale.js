/**
 * `npm start` runs this first: it compiles server/ only when dist/ is missing or older than the
 * sources, so a restart with nothing changed starts at once instead of paying ~10 s of tsc.
 * A stamp is written after a compile that succeeded, so a failed build is retried on the next start.
 * Plain JavaScript on purpose: it must run before anything is compiled.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['server', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** The newest modification time under a path (0 if it is missing); directories count too, so a deleted file is noticed. */
function newest(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of fs.readdirSync(file)) latest = Math.max(latest, newest(path.join(file, entry)));
  return latest;
}

const stamp = newest(STAMP);
const sources = Math.max(...INPUTS.map((input) => newest(path.join(ROOT, input))));
if (stamp > 0 && stamp >= sources && fs.existsSync(path.join(ROOT, 'dist', 'server', 'index.js'))) {
  process.exit(0);
}

console.log(stamp === 0 ? 'Compiling the server (first start)...' : 'Compiling the server (sources changed since the last build)...');
const tsc = require.resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
