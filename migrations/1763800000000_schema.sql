-- Up Migration

-- The app connects as the owner of these tables and, for every request that touches team data,
-- switches to switchboard_app inside the transaction. switchboard_app owns nothing, so row-level
-- security applies to it even when the connecting user is a superuser. See docs/decisions/004-row-level-security.md.
DO $$
BEGIN
  CREATE ROLE switchboard_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- roles are cluster-wide: another database on this server created it already
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT switchboard_app TO %I', current_user);
EXCEPTION WHEN others THEN
  NULL; -- superusers may SET ROLE without membership; a failed grant is harmless then
END
$$;

-- The acting user, set per transaction with set_config('app.user_id', $1, true).
CREATE FUNCTION current_app_user() RETURNS integer
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::integer $$;

CREATE TABLE users (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
  name text NOT NULL DEFAULT '',
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE teams (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  -- Which Composio user id's connected accounts this team syncs; null means the server default.
  composio_user_id text CHECK (composio_user_id IS NULL OR length(composio_user_id) BETWEEN 1 AND 200),
  last_synced_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_users (
  team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_users_user_id_idx ON team_users (user_id);

-- The teams of the acting user. SECURITY DEFINER so policies on team_users can use it without recursing.
CREATE FUNCTION app_user_team_ids() RETURNS integer[]
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT coalesce(array_agg(team_id), '{}') FROM team_users WHERE user_id = current_app_user() $$;

CREATE TABLE prompts (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, team_id)
);
CREATE INDEX prompts_team_id_idx ON prompts (team_id);

CREATE TABLE integrations (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  label text NOT NULL,
  icon text NOT NULL,
  category text NOT NULL,
  category_position integer NOT NULL,
  position integer NOT NULL,
  description text NOT NULL,
  why_needed text NOT NULL DEFAULT '',
  required boolean NOT NULL DEFAULT false,
  auth text NOT NULL CHECK (auth IN ('none', 'api_key', 'oauth2', 'api_key_or_oauth2')),
  composio_toolkits text[] NOT NULL DEFAULT '{}',
  connect_steps text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE api_key_connections (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  integration_id integer NOT NULL REFERENCES integrations (id),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  -- AES-256-GCM: iv, tag and ciphertext, base64. The key never leaves the server.
  secret_encrypted text NOT NULL,
  secret_hint text NOT NULL,
  created_by integer REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, team_id, integration_id)
);
CREATE INDEX api_key_connections_team_idx ON api_key_connections (team_id, integration_id);

CREATE TABLE oauth2_connections (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  integration_id integer NOT NULL REFERENCES integrations (id),
  composio_account_id text NOT NULL,
  composio_toolkit text NOT NULL,
  account_identity text,
  composio_status text NOT NULL,
  composio_disabled boolean NOT NULL DEFAULT false,
  enabled boolean NOT NULL DEFAULT true,
  connected_at timestamptz NOT NULL,
  composio_updated_at timestamptz NOT NULL,
  last_synced_at timestamptz NOT NULL DEFAULT now(),
  -- Set when the account no longer appears in Composio; the row stays so assistants can show "Connection lost".
  disconnected_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (team_id, composio_account_id),
  UNIQUE (id, team_id, integration_id)
);
CREATE INDEX oauth2_connections_team_idx ON oauth2_connections (team_id, integration_id);

CREATE TABLE prompt_integration (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id integer NOT NULL,
  prompt_id integer NOT NULL,
  integration_id integer NOT NULL REFERENCES integrations (id),
  api_connection_id integer,
  oauth2_connection_id integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (prompt_id, integration_id),
  CHECK (num_nonnulls(api_connection_id, oauth2_connection_id) <= 1),
  FOREIGN KEY (prompt_id, team_id) REFERENCES prompts (id, team_id) ON DELETE CASCADE,
  -- The connection must belong to the same team and the same integration; a deleted API key leaves
  -- the row in place without a connection, which the page shows as "Connection lost".
  FOREIGN KEY (api_connection_id, team_id, integration_id)
    REFERENCES api_key_connections (id, team_id, integration_id) ON DELETE SET NULL (api_connection_id),
  FOREIGN KEY (oauth2_connection_id, team_id, integration_id)
    REFERENCES oauth2_connections (id, team_id, integration_id) ON DELETE SET NULL (oauth2_connection_id)
);
CREATE INDEX prompt_integration_team_idx ON prompt_integration (team_id);
CREATE INDEX prompt_integration_api_idx ON prompt_integration (api_connection_id);
CREATE INDEX prompt_integration_oauth2_idx ON prompt_integration (oauth2_connection_id);

CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id integer REFERENCES users (id) ON DELETE SET NULL,
  action text NOT NULL,
  target text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_team_idx ON audit_events (team_id, created_at DESC, id DESC);

-- Failed sign-ins per email and per address, shared by every app instance.
CREATE TABLE login_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);

-- connect-pg-simple's table.
CREATE TABLE session (
  sid varchar NOT NULL PRIMARY KEY,
  sess json NOT NULL,
  expire timestamp(6) NOT NULL
);
CREATE INDEX session_expire_idx ON session (expire);

-- Row-level security: a row is visible only when its team is one of the acting user's teams.
ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
CREATE POLICY teams_of_user ON teams USING (id = ANY (app_user_team_ids())) WITH CHECK (id = ANY (app_user_team_ids()));

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_of_user_teams ON users
  USING (id = current_app_user() OR id IN (SELECT user_id FROM team_users WHERE team_id = ANY (app_user_team_ids())));

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['team_users', 'prompts', 'api_key_connections', 'oauth2_connections', 'prompt_integration', 'audit_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I USING (team_id = ANY (app_user_team_ids())) WITH CHECK (team_id = ANY (app_user_team_ids()))',
      t || '_of_user_teams', t);
  END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO switchboard_app;
GRANT SELECT ON integrations, users, team_users TO switchboard_app;
GRANT SELECT, UPDATE ON teams TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON prompts, api_key_connections, oauth2_connections, prompt_integration TO switchboard_app;
GRANT SELECT, INSERT ON audit_events TO switchboard_app;

-- The catalog. Composio toolkits are the slugs Composio reports for each provider.
INSERT INTO integrations (slug, label, icon, category, category_position, position, description, why_needed, required, auth, composio_toolkits, connect_steps) VALUES
  ('gmail', 'Gmail', 'Gm', 'Required', 1, 1,
   'Read, draft and send email from the team mailbox.',
   'Every assistant reports back by email, so Gmail must be connected before assistants can run.',
   true, 'oauth2', '{gmail}',
   '{"Open the Composio dashboard and choose Connected accounts.","Add an account, pick Gmail and sign in with the Google account the team uses.","Grant the requested Gmail permissions.","Come back here and press Sync from Composio."}'),
  ('googledocs', 'Google Docs', 'Dc', 'Documents', 2, 1,
   'Create and edit Google Docs.',
   'Lets assistants write reports and drafts as documents the team can edit.',
   false, 'oauth2', '{googledocs}',
   '{"Open the Composio dashboard and choose Connected accounts.","Add an account, pick Google Docs and sign in with Google.","Come back here and press Sync from Composio."}'),
  ('googlesheets', 'Google Sheets', 'Sh', 'Documents', 2, 2,
   'Read and update spreadsheets.',
   'Lets assistants read tables and keep trackers up to date.',
   false, 'oauth2', '{googlesheets}',
   '{"Open the Composio dashboard and choose Connected accounts.","Add an account, pick Google Sheets and sign in with Google.","Come back here and press Sync from Composio."}'),
  ('google_drive', 'Google Drive', 'Dr', 'Documents', 2, 3,
   'Find, read and share files in Google Drive.',
   'Lets assistants find the files a task refers to and share what they produce.',
   false, 'oauth2', '{googledrive,google_drive}',
   '{"Open the Composio dashboard and choose Connected accounts.","Add an account, pick Google Drive and sign in with Google.","Come back here and press Sync from Composio."}'),
  ('googlecalendar', 'Google Calendar', 'Ca', 'Scheduling', 3, 1,
   'See availability and create events.',
   'Lets assistants find meeting times and book them.',
   false, 'oauth2', '{googlecalendar}',
   '{"Open the Composio dashboard and choose Connected accounts.","Add an account, pick Google Calendar and sign in with Google.","Come back here and press Sync from Composio."}'),
  ('github', 'GitHub', 'Gh', 'Development', 4, 1,
   'Read repositories, issues and pull requests.',
   'Lets assistants triage issues and summarise pull requests.',
   false, 'api_key_or_oauth2', '{github}',
   '{"Open the Composio dashboard and choose Connected accounts.","Add an account, pick GitHub and authorise the Composio app for your organisation.","Come back here and press Sync from Composio.","Alternatively, add a fine-grained personal access token below as an API key."}'),
  ('notion', 'Notion', 'No', 'Productivity', 5, 1,
   'Search and edit Notion pages and databases.',
   'Lets assistants use the team wiki as a source and keep notes there.',
   false, 'oauth2', '{notion}',
   '{"Open the Composio dashboard and choose Connected accounts.","Add an account, pick Notion and choose the pages to share.","Come back here and press Sync from Composio."}'),
  ('linear', 'Linear', 'Li', 'Productivity', 5, 2,
   'Create and update Linear issues.',
   'Lets assistants file and update issues from conversations.',
   false, 'api_key_or_oauth2', '{linear}',
   '{"Open the Composio dashboard and choose Connected accounts.","Add an account, pick Linear and authorise the workspace.","Come back here and press Sync from Composio.","Alternatively, add a Linear personal API key below."}'),
  ('tavily', 'Tavily Search', 'Tv', 'Research', 6, 1,
   'Search the web through Tavily.',
   'Gives assistants current information from the web.',
   false, 'api_key', '{}',
   '{"Create an API key in your Tavily account.","Add it below as an API key connection."}'),
  ('web_browser', 'Web page reader', 'Wb', 'Built-in', 7, 1,
   'Fetch and read public web pages.',
   'Needs no credentials.',
   false, 'none', '{}', '{}'),
  ('calculator', 'Calculator', 'Cx', 'Built-in', 7, 2,
   'Exact arithmetic and unit conversion.',
   'Needs no credentials.',
   false, 'none', '{}', '{}');

-- Down Migration

DROP TABLE IF EXISTS session, login_failures, audit_events, prompt_integration, oauth2_connections,
  api_key_connections, integrations, prompts, team_users, teams, users CASCADE;
DROP FUNCTION IF EXISTS app_user_team_ids();
DROP FUNCTION IF EXISTS current_app_user();
REVOKE ALL ON SCHEMA public FROM switchboard_app;
