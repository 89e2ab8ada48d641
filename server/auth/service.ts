import type { Database } from '../db';
import { HttpError } from '../http/errors';
import { DUMMY_HASH_PROMISE, verifyPassword } from './password';
import { clearSignInAttempts, findUserByEmail, pruneSignInAttempts, reserveSignInAttempt } from './queries';

/**
 * Sign-in throttling after the OWASP Authentication Cheat Sheet (docs/decisions/008-sign-in-throttling.md):
 * each attempt is reserved before its password is checked, so a burst cannot check more than the
 * limit. The tight limit is per account and address, so guesses from one address do not lock the
 * owner out elsewhere; looser limits per address (spraying many accounts) and per account (many
 * addresses) stop the rest. A window that ends over its limit makes the next one twice as long.
 */
export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS = 5;
export const MAX_ATTEMPTS_PER_ADDRESS = 100;
export const MAX_ATTEMPTS_PER_ACCOUNT = 50;
const PRUNE_EVERY = 500;

let attemptsSincePrune = 0;

export async function signIn(db: Database, email: string, password: string, address: string): Promise<number> {
  const pairKey = `pair:${email}|${address}`;
  const accountKey = `account:${email}`;
  const addressKey = `address:${address}`;
  const { user, refusedUntil } = await db.withOwner(async (tx) => {
    const r = await reserveSignInAttempt(
      tx,
      { key: pairKey, limit: MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS },
      { key: addressKey, limit: MAX_ATTEMPTS_PER_ADDRESS },
      { key: accountKey, limit: MAX_ATTEMPTS_PER_ACCOUNT },
      LOGIN_WINDOW_SECONDS,
    );
    if (++attemptsSincePrune >= PRUNE_EVERY) {
      attemptsSincePrune = 0;
      await pruneSignInAttempts(tx);
    }
    const refused =
      r.pair_attempts > MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS
        ? r.pair_ends_at
        : r.address_attempts! > MAX_ATTEMPTS_PER_ADDRESS
          ? r.address_ends_at
          : r.account_attempts! > MAX_ATTEMPTS_PER_ACCOUNT
            ? r.account_ends_at
            : null;
    return { refusedUntil: refused, user: refused ? null : await findUserByEmail(tx, email) };
  });
  if (refusedUntil) throw tooMany(refusedUntil);

  const ok = await verifyPassword(password, user?.password_hash ?? (await DUMMY_HASH_PROMISE));
  if (!user || !ok) throw new HttpError(401, 'That email and password do not match any user.', 'invalid_credentials');
  await db.withOwner((tx) => clearSignInAttempts(tx, [pairKey, accountKey], addressKey));
  return user.id;
}

function tooMany(until: Date): HttpError {
  const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
  return new HttpError(429, `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, 'too_many_attempts');
}
