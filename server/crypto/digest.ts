import { createHash } from 'node:crypto';

/** Hex SHA-256 of a high-entropy secret (a token, a state value): what is stored instead of the secret. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
