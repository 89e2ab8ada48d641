import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../crypto/digest';

/**
 * Assistant tokens: "sbm_" and 32 random bytes (base64url). Only their SHA-256 is stored: with 256
 * random bits a slow hash adds nothing. The first characters stay visible so people can tell tokens apart.
 */
const PREFIX = 'sbm_';
const TOKEN_PATTERN = /^sbm_[A-Za-z0-9_-]{43}$/;

export function newAssistantToken(): { token: string; hash: string; prefix: string } {
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), prefix: token.slice(0, PREFIX.length + 6) };
}

export const hashToken = sha256Hex;

/** Something shaped like a token; anything else is refused without a database lookup. */
export function looksLikeToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}
