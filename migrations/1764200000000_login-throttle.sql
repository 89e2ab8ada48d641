-- Up Migration

-- Sign-in attempts, reserved before the password is checked (server/auth/service.ts): one row per
-- account-and-address, per address and per account. A window that ends over its limit makes the
-- next window twice as long (strikes), up to 32 times; a clean window resets it.
CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  attempts integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  strikes integer NOT NULL DEFAULT 0
);
CREATE INDEX login_throttle_window_idx ON login_throttle (window_started_at);

DROP TABLE login_failures;

-- Down Migration

CREATE TABLE login_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);
DROP TABLE login_throttle;
