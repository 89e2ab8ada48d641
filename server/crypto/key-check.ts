import type { Database } from '../db';
import { findAnyStoredSecret, findKeyCheck, insertKeyCheck } from './queries';
import { decryptSecret, encryptSecret } from './secrets';

/**
 * The encryption key check: a known value encrypted with the key in use, stored beside the API
 * keys. Start-up refuses a key that does not decrypt it. See docs/decisions/006-encryption-key-check.md.
 */

const KNOWN_VALUE = 'switchboard encryption key check v1';

export class EncryptionKeyMismatchError extends Error {
  override name = 'EncryptionKeyMismatchError';
}

export function keyCheckValue(key: Buffer): string {
  return encryptSecret(key, KNOWN_VALUE);
}

export function opensKeyCheck(key: Buffer, stored: string): boolean {
  return decrypts(key, stored) === KNOWN_VALUE;
}

/** The plaintext, or null when this key does not open it (wrong key, or not one of our ciphertexts). */
export function decrypts(key: Buffer, stored: string): string | null {
  try {
    return decryptSecret(key, stored);
  } catch {
    return null;
  }
}

/**
 * Checks the key against the stored check, or creates the check on first use: then the API keys
 * already stored (from before the check existed) must decrypt with this key too.
 */
export async function verifyEncryptionKey(db: Database, key: Buffer, source: string): Promise<'created' | 'verified'> {
  return db.withOwner(async (tx) => {
    let stored = await findKeyCheck(tx);
    let created = false;
    if (!stored) {
      const sample = await findAnyStoredSecret(tx);
      if (sample && decrypts(key, sample) === null) throw mismatch(source);
      await insertKeyCheck(tx, keyCheckValue(key));
      stored = (await findKeyCheck(tx))!; // another instance starting at the same moment may have won
      created = true;
    }
    if (!opensKeyCheck(key, stored)) throw mismatch(source);
    return created ? 'created' : 'verified';
  });
}

function mismatch(source: string): EncryptionKeyMismatchError {
  const which = source === 'ENCRYPTION_KEY' ? 'ENCRYPTION_KEY' : `The generated key in ${source} (used because ENCRYPTION_KEY is not set)`;
  return new EncryptionKeyMismatchError(
    `${which} does not decrypt the API keys stored in this database. Start with ENCRYPTION_KEY set to the key they were encrypted with, ` +
      'or re-encrypt them with npm run keys:rotate (README: "Rotating the encryption key").',
  );
}
