-- Up Migration

-- A Connect Link in flight: created when an admin presses Connect, consumed once by the callback.
-- Only a hash of the state value is stored; the value itself travels in the callback URL. The row
-- binds the state to the team, the person and their session, and keeps the connected account id
-- from Composio's link response: the callback's own query is a signal, never the source of truth.
CREATE TABLE connect_states (
  state_hash text PRIMARY KEY,
  team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_hash text NOT NULL,
  integration_id integer NOT NULL REFERENCES integrations (id),
  composio_account_id text NOT NULL,
  -- When started from an assistant's picker: the callback returns there with the new account chosen.
  prompt_id integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  FOREIGN KEY (prompt_id, team_id) REFERENCES prompts (id, team_id) ON DELETE CASCADE
);
CREATE INDEX connect_states_team_idx ON connect_states (team_id);
CREATE INDEX connect_states_expires_idx ON connect_states (expires_at);

ALTER TABLE connect_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY connect_states_of_user_teams ON connect_states
  USING (team_id = ANY (app_user_team_ids())) WITH CHECK (team_id = ANY (app_user_team_ids()));
GRANT SELECT, INSERT, UPDATE, DELETE ON connect_states TO switchboard_app;

-- Webhook deliveries already handled, by Composio's webhook-id (stable across its retries).
-- Written by the webhook route as the table owner: a webhook has no acting user.
CREATE TABLE webhook_deliveries (
  webhook_id text PRIMARY KEY CHECK (length(webhook_id) BETWEEN 1 AND 200),
  event_type text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at);

-- Why Composio says an account is not usable (e.g. the reason it expired), shown on "Connection lost".
ALTER TABLE oauth2_connections ADD COLUMN composio_status_reason text;

-- How the last sync ran: 'manual' (someone pressed Sync) or 'automatic' (the background sync).
ALTER TABLE teams ADD COLUMN last_sync_kind text CHECK (last_sync_kind IN ('manual', 'automatic'));
GRANT UPDATE (last_sync_kind) ON teams TO switchboard_app;

-- Down Migration

REVOKE UPDATE (last_sync_kind) ON teams FROM switchboard_app;
ALTER TABLE teams DROP COLUMN last_sync_kind;
ALTER TABLE oauth2_connections DROP COLUMN composio_status_reason;
DROP TABLE webhook_deliveries;
DROP TABLE connect_states;
