import type { Database } from '../db';
import { keyCheckValue, opensKeyCheck, decrypts } from './key-check';
import { findKeyCheck, listStoredSecrets, lockStoredSecrets, replaceKeyCheck, updateStoredSecrets } from './queries';
import { encryptSecret } from './secrets';

export type RotationResult = { rotated: number } | { alreadyRotated: true };

export class RotationError extends Error {
  override name = 'RotationError';
}

/**
 * Re-encrypts every stored API key, and the key check, from the old key to the new one in one
 * transaction: either all of them move to the new key or nothing changes. Running it again after
 * it succeeded finds the check already on the new key and changes nothing.
 */
export async function rotateEncryptionKey(db: Database, keys: { from: Buffer; to: Buffer; fromName: string }): Promise<RotationResult> {
  if (keys.from.equals(keys.to)) throw new RotationError('The old and the new encryption key are the same; nothing to rotate.');
  return db.withOwner(async (tx) => {
    await lockStoredSecrets(tx);
    const check = await findKeyCheck(tx);
    if (check && !opensKeyCheck(keys.from, check)) {
      if (opensKeyCheck(keys.to, check)) return { alreadyRotated: true as const };
      throw new RotationError(
        `${keys.fromName} is not the key the stored API keys are encrypted with (it does not open the key check); nothing was changed.`,
      );
    }
    const stored = await listStoredSecrets(tx);
    const rows: { id: number; secretEncrypted: string }[] = [];
    const unreadable: number[] = [];
    for (const row of stored) {
      const plaintext = decrypts(keys.from, row.secret_encrypted);
      if (plaintext === null) unreadable.push(row.id);
      else rows.push({ id: row.id, secretEncrypted: encryptSecret(keys.to, plaintext) });
    }
    if (unreadable.length > 0) {
      throw new RotationError(
        `${unreadable.length} of ${stored.length} stored API keys do not decrypt with ${keys.fromName} (api_key_connections ids ${unreadable.slice(0, 10).join(', ')}${unreadable.length > 10 ? ', ...' : ''}); nothing was changed.`,
      );
    }
    if (rows.length > 0) await updateStoredSecrets(tx, rows);
    await replaceKeyCheck(tx, keyCheckValue(keys.to));
    return { rotated: rows.length };
  });
}
