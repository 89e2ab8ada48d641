import type { Database } from '../db';
import { HttpError } from '../http/errors';
import { DUMMY_HASH_PROMISE, verifyPassword } from './password';
import { clearLoginFailures, findLockedUntil, findUserByEmail, recordLoginFailure } from './queries';

export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_ADDRESS = 30;

/**
 * Checks a password. Failures are counted per email and per client address in the database, so
 * every app instance sees them; past the limit, sign-in is refused for the window.
 */
export async function signIn(db: Database, email: string, password: string, address: string): Promise<number> {
  const emailKey = `email:${email}`;
  const addressKey = `ip:${address}`;
  const keys = [emailKey, addressKey];
  const { user, locked } = await db.withOwner(async (tx) => ({
    locked: await findLockedUntil(tx, keys),
    user: await findUserByEmail(tx, email),
  }));
  if (locked) throw tooMany(locked.locked_until);

  const ok = await verifyPassword(password, user?.password_hash ?? (await DUMMY_HASH_PROMISE));
  if (!user || !ok) {
    await db.withOwner(async (tx) => {
      await recordLoginFailure(tx, emailKey, MAX_FAILURES_PER_EMAIL, LOGIN_WINDOW_SECONDS);
      await recordLoginFailure(tx, addressKey, MAX_FAILURES_PER_ADDRESS, LOGIN_WINDOW_SECONDS);
    });
    throw new HttpError(401, 'That email and password do not match an account.', 'invalid_credentials');
  }
  await db.withOwner((tx) => clearLoginFailures(tx, emailKey));
  return user.id;
}

function tooMany(until: Date): HttpError {
  const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
  return new HttpError(429, `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, 'too_many_attempts');
}
