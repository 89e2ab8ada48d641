-- Up Migration

-- Each assistant is an MCP server (docs/decisions/011-mcp-endpoint.md). An MCP request carries an
-- assistant token, not a session, so it runs as switchboard_mcp: a role that reads one team's
-- assistant and connections and writes only its call records, under its own row-level policies.
DO $$
BEGIN
  CREATE ROLE switchboard_mcp NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- roles are cluster-wide: another database on this server created it already
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT switchboard_mcp TO %I', current_user);
EXCEPTION WHEN others THEN
  NULL; -- superusers may SET ROLE without membership; a failed grant is harmless then
END
$$;

-- The team and assistant an MCP request acts for, set per transaction after its token was checked.
CREATE FUNCTION mcp_team_id() RETURNS integer
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.mcp_team_id', true), '')::integer $$;
CREATE FUNCTION mcp_prompt_id() RETURNS integer
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.mcp_prompt_id', true), '')::integer $$;

-- The Composio toolkit whose tools an integration offers over MCP (null: none from Composio), and how
-- an API key of the integration is handed to Composio as a custom auth header.
ALTER TABLE integrations
  ADD COLUMN tools_toolkit text,
  ADD COLUMN api_key_header text,
  ADD COLUMN api_key_prefix text NOT NULL DEFAULT '';

UPDATE integrations SET tools_toolkit = v.toolkit, api_key_header = v.header, api_key_prefix = v.prefix
  FROM (VALUES
    ('gmail', 'gmail', NULL, ''),
    ('googledocs', 'googledocs', NULL, ''),
    ('googlesheets', 'googlesheets', NULL, ''),
    ('google_drive', 'googledrive', NULL, ''),
    ('googlecalendar', 'googlecalendar', NULL, ''),
    ('github', 'github', 'Authorization', 'Bearer '),
    ('notion', 'notion', NULL, ''),
    ('linear', 'linear', 'Authorization', ''),
    ('tavily', 'tavily', 'Authorization', 'Bearer ')
  ) AS v(slug, toolkit, header, prefix)
 WHERE integrations.slug = v.slug;

-- The tools an assistant may use of an added integration; null means all of them (a new integration).
ALTER TABLE prompt_integration ADD COLUMN allowed_tools text[];

-- Access tokens of an assistant's MCP endpoint. Only a SHA-256 of the token is kept.
CREATE TABLE assistant_tokens (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id integer NOT NULL,
  prompt_id integer NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  token_prefix text NOT NULL,
  created_by integer REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  -- The per-token rate limit: calls in the current one-minute window.
  rate_window_started_at timestamptz,
  rate_window_calls integer NOT NULL DEFAULT 0,
  FOREIGN KEY (prompt_id, team_id) REFERENCES prompts (id, team_id) ON DELETE CASCADE
);
CREATE INDEX assistant_tokens_prompt_idx ON assistant_tokens (team_id, prompt_id);
CREATE UNIQUE INDEX assistant_tokens_active_name_idx ON assistant_tokens (prompt_id, lower(name)) WHERE revoked_at IS NULL;

-- Tool definitions from Composio, cached per toolkit (shared by every team: they are Composio's).
CREATE TABLE composio_tools (
  toolkit text NOT NULL,
  slug text NOT NULL,
  name text NOT NULL,
  description text NOT NULL,
  input_schema jsonb NOT NULL,
  version text,
  position integer NOT NULL,
  PRIMARY KEY (toolkit, slug)
);
CREATE INDEX composio_tools_slug_idx ON composio_tools (slug);

CREATE TABLE composio_toolkit_fetches (
  toolkit text PRIMARY KEY,
  fetched_at timestamptz NOT NULL
);

-- One row per tools/call: never the arguments.
CREATE TABLE mcp_tool_calls (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  -- No foreign keys to the assistant or token: the record outlives them.
  prompt_id integer NOT NULL,
  token_id integer,
  token_name text NOT NULL,
  tool text NOT NULL CHECK (length(tool) <= 200),
  outcome text NOT NULL CHECK (outcome IN ('success', 'error', 'refused')),
  reason text,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mcp_tool_calls_prompt_idx ON mcp_tool_calls (team_id, prompt_id, id DESC);

/**
 * The one way in for a bearer token: its hash gives the token's team and assistant. SECURITY DEFINER
 * because nothing is known about the caller yet. Only when the token belongs to p_prompt_id does it
 * count p_calls against the token's rate window and set last_used_at.
 */
CREATE FUNCTION mcp_authenticate(p_token_hash text, p_prompt_id integer, p_calls integer)
  RETURNS TABLE (token_id integer, team_id integer, prompt_id integer, token_name text, calls_in_window integer)
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
    WITH found AS (
      SELECT t.id, t.team_id, t.prompt_id, t.name FROM assistant_tokens t
       WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL
    ), touched AS (
      UPDATE assistant_tokens t
         SET last_used_at = now(),
             rate_window_calls = CASE WHEN t.rate_window_started_at > now() - interval '1 minute' THEN t.rate_window_calls + p_calls ELSE p_calls END,
             rate_window_started_at = CASE WHEN t.rate_window_started_at > now() - interval '1 minute' THEN t.rate_window_started_at ELSE now() END
        FROM found f
       WHERE t.id = f.id AND f.prompt_id = p_prompt_id
      RETURNING t.id, t.rate_window_calls
    )
    SELECT f.id, f.team_id, f.prompt_id, f.name, coalesce(u.rate_window_calls, 0) FROM found f LEFT JOIN touched u ON u.id = f.id
  $$;
REVOKE ALL ON FUNCTION mcp_authenticate(text, integer, integer) FROM PUBLIC;

-- Row-level security. Signed-in users see their teams' tokens and call records, as everywhere else.
ALTER TABLE assistant_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY assistant_tokens_of_user_teams ON assistant_tokens TO switchboard_app
  USING (team_id = ANY (app_user_team_ids())) WITH CHECK (team_id = ANY (app_user_team_ids()));
ALTER TABLE mcp_tool_calls ENABLE ROW LEVEL SECURITY;
CREATE POLICY mcp_tool_calls_of_user_teams ON mcp_tool_calls FOR SELECT TO switchboard_app
  USING (team_id = ANY (app_user_team_ids()));

-- An MCP request sees its own assistant, that assistant's integrations and its team's connections.
CREATE POLICY teams_of_mcp ON teams FOR SELECT TO switchboard_mcp USING (id = mcp_team_id());
CREATE POLICY prompts_of_mcp ON prompts FOR SELECT TO switchboard_mcp USING (team_id = mcp_team_id() AND id = mcp_prompt_id());
CREATE POLICY prompt_integration_of_mcp ON prompt_integration FOR SELECT TO switchboard_mcp
  USING (team_id = mcp_team_id() AND prompt_id = mcp_prompt_id());
CREATE POLICY api_key_connections_of_mcp ON api_key_connections FOR SELECT TO switchboard_mcp USING (team_id = mcp_team_id());
CREATE POLICY oauth2_connections_of_mcp ON oauth2_connections FOR SELECT TO switchboard_mcp USING (team_id = mcp_team_id());
CREATE POLICY mcp_tool_calls_of_mcp ON mcp_tool_calls FOR INSERT TO switchboard_mcp
  WITH CHECK (team_id = mcp_team_id() AND prompt_id = mcp_prompt_id());

GRANT SELECT, INSERT, UPDATE ON assistant_tokens TO switchboard_app;
GRANT SELECT ON mcp_tool_calls TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON composio_tools, composio_toolkit_fetches TO switchboard_app;

GRANT USAGE ON SCHEMA public TO switchboard_mcp;
GRANT SELECT ON integrations, teams, prompts, prompt_integration, api_key_connections, oauth2_connections TO switchboard_mcp;
GRANT SELECT, INSERT, UPDATE, DELETE ON composio_tools, composio_toolkit_fetches TO switchboard_mcp;
GRANT INSERT ON mcp_tool_calls TO switchboard_mcp;
GRANT EXECUTE ON FUNCTION mcp_authenticate(text, integer, integer) TO switchboard_mcp;

-- Down Migration

DROP TABLE IF EXISTS mcp_tool_calls, composio_toolkit_fetches, composio_tools, assistant_tokens CASCADE;
DROP FUNCTION IF EXISTS mcp_authenticate(text, integer, integer);
DROP POLICY IF EXISTS teams_of_mcp ON teams;
DROP POLICY IF EXISTS prompts_of_mcp ON prompts;
DROP POLICY IF EXISTS prompt_integration_of_mcp ON prompt_integration;
DROP POLICY IF EXISTS api_key_connections_of_mcp ON api_key_connections;
DROP POLICY IF EXISTS oauth2_connections_of_mcp ON oauth2_connections;
ALTER TABLE prompt_integration DROP COLUMN IF EXISTS allowed_tools;
ALTER TABLE integrations DROP COLUMN IF EXISTS tools_toolkit, DROP COLUMN IF EXISTS api_key_header, DROP COLUMN IF EXISTS api_key_prefix;
DROP FUNCTION IF EXISTS mcp_prompt_id();
DROP FUNCTION IF EXISTS mcp_team_id();
REVOKE ALL ON SCHEMA public FROM switchboard_mcp;
