import { parseArgs } from 'node:util';
import { generatedKeyFile, loadConfig, readGeneratedEncryptionKey, replaceGeneratedEncryptionKey } from '../config';
import { rotateEncryptionKey, RotationError } from '../crypto/rotate';
import { openDatabase } from '../db/open';
import { endWithFailure, UsageError } from './failure';

const USAGE = [
  'Usage: OLD_ENCRYPTION_KEY=<old key> ENCRYPTION_KEY=<new key> npm run keys:rotate',
  '       npm run keys:rotate -- [--from-env NAME] [--to-env NAME]   (the variables that hold the old and the new key)',
  'Without the old key variable, the old key is the generated one in DATA_DIR/secrets/encryption-key, which is then replaced by the new key.',
].join('\n');

const KEY = /^[0-9a-fA-F]{64}$/;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * npm run keys:rotate: re-encrypts every stored API key from the old encryption key to the new one,
 * in one transaction, on DATABASE_URL or the embedded database (which it refuses while the app holds
 * it). Keys are read from environment variables, never from arguments, so they stay out of `ps`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'from-env': { type: 'string' }, 'to-env': { type: 'string' } }, strict: true });
  const fromEnv = values['from-env'] ?? 'OLD_ENCRYPTION_KEY';
  const toEnv = values['to-env'] ?? 'ENCRYPTION_KEY';
  for (const name of [fromEnv, toEnv]) if (!VARIABLE.test(name)) throw new UsageError(`${name} is not an environment variable name.`);
  if (fromEnv === toEnv) throw new UsageError('--from-env and --to-env must name different variables.');

  const to = keyFrom(toEnv);
  if (!to) throw new UsageError(`Set ${toEnv} to the new key (generate one with: openssl rand -hex 32).`);
  // The rotation needs no session secret: a stand-in keeps loadConfig from generating or demanding one.
  const config = loadConfig({
    ...process.env,
    ENCRYPTION_KEY: to.toString('hex'),
    SESSION_SECRET: process.env.SESSION_SECRET || 'unused by keys:rotate '.repeat(2),
  });
  const fromVariable = keyFrom(fromEnv);
  const fromFile = fromVariable ? null : readGeneratedEncryptionKey(config.dataDir);
  const from = fromVariable ?? fromFile;
  if (!from)
    throw new UsageError(
      `Set ${fromEnv} to the key the stored API keys are encrypted with now (there is no generated key in ${generatedKeyFile(config.dataDir)}).`,
    );
  const fromName = fromVariable ? fromEnv : `the generated key in ${generatedKeyFile(config.dataDir)}`;

  const db = await openDatabase(config);
  let result;
  try {
    result = await rotateEncryptionKey(db, { from, to, fromName });
  } finally {
    await db.close();
  }
  const lines = [
    'rotated' in result
      ? `Re-encrypted ${result.rotated} stored API ${result.rotated === 1 ? 'key' : 'keys'} and the key check with the new key from ${toEnv} (${db.description}).`
      : 'The stored API keys are already encrypted with the new key; nothing was changed.',
  ];
  if (fromFile) {
    replaceGeneratedEncryptionKey(config.dataDir, to);
    lines.push(`Replaced the generated key in ${generatedKeyFile(config.dataDir)} with the new key.`);
  }
  lines.push('Start Switchboard with ENCRYPTION_KEY set to the new key.');
  console.log(lines.join('\n'));
}

function keyFrom(variable: string): Buffer | null {
  const value = process.env[variable]?.trim();
  if (!value) return null;
  if (!KEY.test(value))
    throw new UsageError(`${variable} must be 64 hexadecimal characters (32 bytes), like the output of: openssl rand -hex 32`);
  return Buffer.from(value, 'hex');
}

main().catch((error: unknown) =>
  endWithFailure(error, 'Could not rotate the encryption key', { alsoKnown: [RotationError], usage: USAGE }),
);
