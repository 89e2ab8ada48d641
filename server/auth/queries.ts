import type { Tx } from '../db';

// Sign-in happens before there is an acting user, so these run as the table owner (withOwner).

export function findUserByEmail(tx: Tx, email: string) {
  return tx.maybeOne<{ id: number; password_hash: string }>('SELECT id, password_hash FROM users WHERE email = $1', [email]);
}

export function findLockedUntil(tx: Tx, keys: string[]) {
  return tx.maybeOne<{ locked_until: Date }>(
    'SELECT max(locked_until) AS locked_until FROM login_failures WHERE key = ANY($1) AND locked_until > now() HAVING max(locked_until) IS NOT NULL',
    [keys],
  );
}

/** Counts a failure in a window that restarts when it has passed; reaching the limit locks the key for a window. */
export function recordLoginFailure(tx: Tx, key: string, limit: number, windowSeconds: number) {
  return tx.query(
    `INSERT INTO login_failures AS f (key, failures, window_started_at, locked_until)
       VALUES ($1, 1, now(), CASE WHEN $2 <= 1 THEN now() + make_interval(secs => $3) END)
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN f.window_started_at < now() - make_interval(secs => $3) THEN 1 ELSE f.failures + 1 END,
       window_started_at = CASE WHEN f.window_started_at < now() - make_interval(secs => $3) THEN now() ELSE f.window_started_at END,
       locked_until = CASE WHEN f.window_started_at >= now() - make_interval(secs => $3) AND f.failures + 1 >= $2
                           THEN now() + make_interval(secs => $3) ELSE f.locked_until END`,
    [key, limit, windowSeconds],
  );
}

export function clearLoginFailures(tx: Tx, key: string) {
  return tx.query('DELETE FROM login_failures WHERE key = $1', [key]);
}

export function findFirstTeamOfUser(tx: Tx) {
  return tx.maybeOne<{ id: number }>(
    'SELECT t.id FROM teams t JOIN team_users tu ON tu.team_id = t.id WHERE tu.user_id = current_app_user() ORDER BY t.name, t.id LIMIT 1',
  );
}
