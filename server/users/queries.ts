import type { Tx } from '../db';

/** For the operator's command line, as the table owner: a new password hash, and every session of the user ended. */
export async function setUserPassword(tx: Tx, email: string, passwordHash: string) {
  const user = await tx.maybeOne<{ id: number }>('UPDATE users SET password_hash = $2 WHERE email = $1 RETURNING id', [
    email,
    passwordHash,
  ]);
  if (!user) return null;
  const ended = await tx.query("DELETE FROM session WHERE sess->>'userId' = $1 RETURNING sid", [String(user.id)]);
  return { userId: user.id, sessions: ended.length };
}

/** For the start-up line, as the table owner: how many people can sign in, and whether the demo user is one of them. */
export async function countUsers(tx: Tx, demoEmail: string) {
  return tx.one<{ users: number; demo: boolean }>(
    'SELECT count(*)::int AS users, coalesce(bool_or(email = $1), false) AS demo FROM users',
    [demoEmail],
  );
}
