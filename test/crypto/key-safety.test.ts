import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Database } from '../../server/db';
import { EncryptionKeyMismatchError, verifyEncryptionKey } from '../../server/crypto/key-check';
import { decryptSecret, encryptSecret } from '../../server/crypto/secrets';
import { freshDatabase, type FreshDatabase } from '../helpers/fresh-database';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

const OLD = '1'.repeat(64);
const NEW = '2'.repeat(64);
const OTHER = '3'.repeat(64);
const key = (hex: string) => Buffer.from(hex, 'hex');
const PLAINTEXTS = ['tvly-first-key-0001', 'lin_api_second_0002', 'ghp_third_key_00003'];

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function runScript(script: string, env: Record<string, string>, args: string[] = []): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(TSX, [script, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const rotate = (fresh: FreshDatabase, env: Record<string, string>, args: string[] = []) =>
  runScript('server/cli/keys-rotate.ts', { ...fresh.env, ...env }, args);

/** A team with the three API keys, encrypted with `hex`. */
async function storeKeys(db: Database, hex: string, plaintexts = PLAINTEXTS): Promise<void> {
  await db.withOwner(async (tx) => {
    const team = await tx.maybeOne<{ id: number }>("SELECT id FROM teams WHERE name = 'Keys'");
    const teamId = team?.id ?? (await tx.one<{ id: number }>("INSERT INTO teams (name) VALUES ('Keys') RETURNING id")).id;
    for (const [i, plaintext] of plaintexts.entries()) {
      await tx.query(
        `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
         SELECT $1, id, $2, $3, '••••' FROM integrations WHERE slug = 'tavily'`,
        [teamId, `key ${i} ${plaintext.slice(0, 4)}`, encryptSecret(key(hex), plaintext)],
      );
    }
  });
}

const storedCiphertexts = (db: Database) =>
  db.withOwner(async (tx) => ({
    keys: (await tx.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM api_key_connections ORDER BY id')).map(
      (r) => r.secret_encrypted,
    ),
    check: await tx.maybeOne('SELECT value_encrypted FROM encryption_key_check'),
  }));

// One database for the file (a new embedded one takes seconds to create), emptied before each test.
let f: FreshDatabase;
beforeAll(async () => {
  f = await freshDatabase();
}, 120_000);
afterAll(() => f.drop());
beforeEach(async () => {
  fs.rmSync(path.join(f.dataDir, 'secrets'), { recursive: true, force: true });
  await f.use((db) =>
    db.withOwner(async (tx) => {
      await tx.query('DELETE FROM api_key_connections');
      await tx.query('DELETE FROM encryption_key_check');
    }),
  );
}, 60_000);

describe('the encryption key check', () => {
  it('is created on first use, then accepts the same key and refuses another in one line naming ENCRYPTION_KEY', async () => {
    await f.use(async (db) => {
      expect(await verifyEncryptionKey(db, key(OLD), 'ENCRYPTION_KEY')).toBe('created');
      expect(await verifyEncryptionKey(db, key(OLD), 'ENCRYPTION_KEY')).toBe('verified');
      const refused = verifyEncryptionKey(db, key(OTHER), 'ENCRYPTION_KEY');
      await expect(refused).rejects.toThrow(EncryptionKeyMismatchError);
      await expect(refused).rejects.toThrow(
        /^ENCRYPTION_KEY does not decrypt the API keys stored in this database\. [^\n]*keys:rotate[^\n]*$/,
      );
      await expect(verifyEncryptionKey(db, key(OTHER), '/data/secrets/encryption-key')).rejects.toThrow(
        /^The generated key in \/data\/secrets\/encryption-key \(used because ENCRYPTION_KEY is not set\) does not decrypt/,
      );
    });
  });

  it('on first use, refuses a key that does not decrypt the API keys stored before the check existed, and creates no check', async () => {
    await f.use(async (db) => {
      await storeKeys(db, OLD);
      await expect(verifyEncryptionKey(db, key(OTHER), 'ENCRYPTION_KEY')).rejects.toThrow(EncryptionKeyMismatchError);
      expect((await storedCiphertexts(db)).check).toBeNull();
      expect(await verifyEncryptionKey(db, key(OLD), 'ENCRYPTION_KEY')).toBe('created');
    });
  }, 60_000);
});

describe('start-up', () => {
  it('refuses a key that does not decrypt what is stored, in one line naming ENCRYPTION_KEY', async () => {
    await f.use((db) => verifyEncryptionKey(db, key(OLD), 'ENCRYPTION_KEY'));
    const res = await runScript('server/index.ts', { ...f.env, PORT: '0', ENCRYPTION_KEY: OTHER, LOG_LEVEL: 'silent' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toMatch(/^ENCRYPTION_KEY does not decrypt the API keys stored in this database\. [^\n]+$/);
  }, 60_000);

  it('refuses a malformed generated key file, saying which file and ENCRYPTION_KEY', async () => {
    fs.mkdirSync(path.join(f.dataDir, 'secrets'), { recursive: true });
    fs.writeFileSync(path.join(f.dataDir, 'secrets', 'encryption-key'), 'not-a-key\n');
    const res = await runScript('server/index.ts', { ...f.env, PORT: '0', LOG_LEVEL: 'silent' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      `Invalid configuration: ${path.join(f.dataDir, 'secrets', 'encryption-key')} is not a valid encryption key (it must be 64 hexadecimal characters). ` +
        'It is used because ENCRYPTION_KEY is not set: restore the file from a backup, or set ENCRYPTION_KEY to the key your stored API keys were encrypted with.',
    );
  }, 60_000);
});

describe('npm run keys:rotate', () => {
  it('re-encrypts every stored API key and the check in one go, and is safe to run again', async () => {
    await f.use(async (db) => {
      await storeKeys(db, OLD);
      await verifyEncryptionKey(db, key(OLD), 'ENCRYPTION_KEY');
    });
    const before = await f.use(storedCiphertexts);

    const wrongOld = await rotate(f, { OLD_ENCRYPTION_KEY: OTHER, ENCRYPTION_KEY: NEW });
    expect(wrongOld.code).toBe(1);
    expect(wrongOld.stderr.trim()).toBe(
      'OLD_ENCRYPTION_KEY is not the key the stored API keys are encrypted with (it does not open the key check); nothing was changed.',
    );
    expect(await f.use(storedCiphertexts)).toEqual(before);

    const res = await rotate(f, { OLD_ENCRYPTION_KEY: OLD, ENCRYPTION_KEY: NEW });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Re-encrypted 3 stored API keys and the key check with the new key from ENCRYPTION_KEY');
    expect(res.stdout).toContain('Start Switchboard with ENCRYPTION_KEY set to the new key.');
    await f.use(async (db) => {
      const after = await storedCiphertexts(db);
      expect(after.keys.map((c) => decryptSecret(key(NEW), c))).toEqual(PLAINTEXTS);
      expect(await verifyEncryptionKey(db, key(NEW), 'ENCRYPTION_KEY')).toBe('verified');
      await expect(verifyEncryptionKey(db, key(OLD), 'ENCRYPTION_KEY')).rejects.toThrow(EncryptionKeyMismatchError);
    });

    const again = await rotate(f, { OLD_ENCRYPTION_KEY: OLD, ENCRYPTION_KEY: NEW });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('The stored API keys are already encrypted with the new key; nothing was changed.');
  }, 120_000);

  it('changes nothing when one stored key does not decrypt with the old key', async () => {
    await f.use(async (db) => {
      await storeKeys(db, OLD);
      await storeKeys(db, OTHER, ['sk-from-elsewhere-0004']);
    });
    const before = await f.use(storedCiphertexts);
    const res = await rotate(f, { OLD_ENCRYPTION_KEY: OLD, ENCRYPTION_KEY: NEW });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^1 of 4 stored API keys do not decrypt with OLD_ENCRYPTION_KEY \(api_key_connections ids \d+\); nothing was changed\.\n$/,
    );
    expect(await f.use(storedCiphertexts)).toEqual(before);
  }, 60_000);

  it('rotates from the generated key file and replaces it; other variables can be named', async () => {
    const keyFile = path.join(f.dataDir, 'secrets', 'encryption-key');
    fs.mkdirSync(path.dirname(keyFile), { recursive: true });
    fs.writeFileSync(keyFile, OLD);
    await f.use(async (db) => {
      await storeKeys(db, OLD);
      await verifyEncryptionKey(db, key(OLD), keyFile);
    });
    const res = await rotate(f, { MY_NEW_KEY: NEW });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('Set ENCRYPTION_KEY to the new key');

    const viaFlags = await rotate(f, { SOMEWHERE_NEW: NEW }, ['--to-env', 'SOMEWHERE_NEW']);
    expect(viaFlags.stderr).toBe('');
    expect(viaFlags.stdout).toContain('Re-encrypted 3 stored API keys and the key check with the new key from SOMEWHERE_NEW');
    expect(viaFlags.stdout).toContain(`Replaced the generated key in ${keyFile} with the new key.`);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(NEW);
    await f.use(async (db) => expect(await verifyEncryptionKey(db, key(NEW), keyFile)).toBe('verified'));
  }, 120_000);

  it('explains bad arguments', async () => {
    const same = await rotate(f, { OLD_ENCRYPTION_KEY: OLD, ENCRYPTION_KEY: 'abc' });
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('ENCRYPTION_KEY must be 64 hexadecimal characters');
    expect(same.stderr).toContain('Usage: OLD_ENCRYPTION_KEY=<old key> ENCRYPTION_KEY=<new key> npm run keys:rotate');
  }, 60_000);
});
