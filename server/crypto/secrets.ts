import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * API keys at rest: AES-256-GCM with a random 96-bit IV per secret. Stored as
 * "v1:" + base64(iv | tag | ciphertext); the version prefix lets the format change later.
 */
export function encryptSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

export function decryptSecret(key: Buffer, stored: string): string {
  if (!stored.startsWith('v1:')) throw new Error('Unknown secret format');
  const raw = Buffer.from(stored.slice(3), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/** What the page may show of a key: its last four characters, and only when the key is long enough to spare them. */
export function secretHint(plaintext: string): string {
  return plaintext.length >= 16 ? `••••${plaintext.slice(-4)}` : '••••';
}
