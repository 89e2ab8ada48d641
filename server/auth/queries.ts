import type { Tx } from '../db';

// Sign-in happens before there is an acting user, so these run as the table owner (withOwner).

export function findUserByEmail(tx: Tx, email: string) {
  return tx.maybeOne<{ id: number; password_hash: string }>('SELECT id, password_hash FROM users WHERE email = $1', [email]);
}

export interface ThrottleKey {
  key: string;
  limit: number;
}

/** One key's reservation: a new window starts when the last one has ended (its length doubling per strike). */
const reserve = (key: string, limit: string, condition: string) => `
  INSERT INTO login_throttle AS t (key, attempts, window_started_at)
  SELECT ${key}, 1, now() WHERE ${condition}
  ON CONFLICT (key) DO UPDATE SET
    strikes = CASE WHEN t.window_started_at + make_interval(secs => $7 * power(2, least(t.strikes, 5))) > now() THEN t.strikes
                   WHEN t.attempts > ${limit} THEN t.strikes + 1 ELSE 0 END,
    attempts = CASE WHEN t.window_started_at + make_interval(secs => $7 * power(2, least(t.strikes, 5))) > now() THEN t.attempts + 1 ELSE 1 END,
    window_started_at = CASE WHEN t.window_started_at + make_interval(secs => $7 * power(2, least(t.strikes, 5))) > now() THEN t.window_started_at ELSE now() END
  RETURNING attempts, window_started_at + make_interval(secs => $7 * power(2, least(strikes, 5))) AS ends_at`;

/**
 * Reserves one sign-in attempt, in one statement, before any password is checked: the
 * account-and-address key always counts; the address key only when the pair was within its limit,
 * and the account key only when both were. Row locks make concurrent reservations count one by one,
 * so a burst cannot get more checks than the limit. Keys are always taken in this order.
 */
export function reserveSignInAttempt(tx: Tx, pair: ThrottleKey, address: ThrottleKey, account: ThrottleKey, windowSeconds: number) {
  return tx.one<{
    pair_attempts: number;
    pair_ends_at: Date;
    address_attempts: number | null;
    address_ends_at: Date | null;
    account_attempts: number | null;
    account_ends_at: Date | null;
  }>(
    `WITH pair AS (${reserve('$1', '$2', 'true')}),
     address AS (${reserve('$3', '$4', '(SELECT attempts FROM pair) <= $2')}),
     account AS (${reserve('$5', '$6', '(SELECT attempts FROM pair) <= $2 AND (SELECT attempts FROM address) <= $4')})
     SELECT (SELECT attempts FROM pair) AS pair_attempts, (SELECT ends_at FROM pair) AS pair_ends_at,
            (SELECT attempts FROM address) AS address_attempts, (SELECT ends_at FROM address) AS address_ends_at,
            (SELECT attempts FROM account) AS account_attempts, (SELECT ends_at FROM account) AS account_ends_at`,
    [pair.key, pair.limit, address.key, address.limit, account.key, account.limit, windowSeconds],
  );
}

/**
 * A successful sign-in clears its account's counters and gives its reservation back to the
 * address, which other people (an office behind one address) share.
 */
export function clearSignInAttempts(tx: Tx, accountKeys: string[], addressKey: string) {
  return tx.query(
    `WITH cleared AS (DELETE FROM login_throttle WHERE key = ANY($1))
     UPDATE login_throttle SET attempts = attempts - 1 WHERE key = $2 AND attempts > 0`,
    [accountKeys, addressKey],
  );
}

/** Rows whose window ended more than a day ago say nothing any more. */
export function pruneSignInAttempts(tx: Tx) {
  return tx.query(`DELETE FROM login_throttle WHERE window_started_at < now() - interval '9 hours' - interval '1 day'`);
}

export function findFirstTeamOfUser(tx: Tx) {
  return tx.maybeOne<{ id: number }>(
    'SELECT t.id FROM teams t JOIN team_users tu ON tu.team_id = t.id WHERE tu.user_id = current_app_user() ORDER BY t.name, t.id LIMIT 1',
  );
}
