import type { Tx } from '../db';

/** The key check and the stored API keys, as the key check and the rotation see them (table owner only). */

export async function findKeyCheck(tx: Tx): Promise<string | null> {
  const row = await tx.maybeOne<{ value_encrypted: string }>('SELECT value_encrypted FROM encryption_key_check');
  return row?.value_encrypted ?? null;
}

/** Does nothing when another instance created it first; read it again afterwards. */
export async function insertKeyCheck(tx: Tx, valueEncrypted: string): Promise<void> {
  await tx.query('INSERT INTO encryption_key_check (value_encrypted) VALUES ($1) ON CONFLICT (id) DO NOTHING', [valueEncrypted]);
}

export async function replaceKeyCheck(tx: Tx, valueEncrypted: string): Promise<void> {
  await tx.query(
    `INSERT INTO encryption_key_check (value_encrypted, rotated_at) VALUES ($1, now())
     ON CONFLICT (id) DO UPDATE SET value_encrypted = EXCLUDED.value_encrypted, rotated_at = now()`,
    [valueEncrypted],
  );
}

export async function findAnyStoredSecret(tx: Tx): Promise<string | null> {
  const row = await tx.maybeOne<{ secret_encrypted: string }>('SELECT secret_encrypted FROM api_key_connections ORDER BY id LIMIT 1');
  return row?.secret_encrypted ?? null;
}

/** Holds off every other writer of API keys and of the check until the rotation commits. */
export async function lockStoredSecrets(tx: Tx): Promise<void> {
  await tx.query('LOCK TABLE api_key_connections, encryption_key_check IN SHARE ROW EXCLUSIVE MODE');
}

export async function listStoredSecrets(tx: Tx): Promise<{ id: number; secret_encrypted: string }[]> {
  return tx.query('SELECT id, secret_encrypted FROM api_key_connections ORDER BY id');
}

export async function updateStoredSecrets(tx: Tx, rows: { id: number; secretEncrypted: string }[]): Promise<void> {
  await tx.query(
    `UPDATE api_key_connections SET secret_encrypted = v.secret_encrypted
       FROM unnest($1::int[], $2::text[]) AS v (id, secret_encrypted)
      WHERE api_key_connections.id = v.id`,
    [rows.map((r) => r.id), rows.map((r) => r.secretEncrypted)],
  );
}
