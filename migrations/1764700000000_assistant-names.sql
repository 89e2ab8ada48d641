-- Up Migration

-- One name per concept (docs/glossary.md): the tables and columns of an assistant say "assistant",
-- the word the screens, the code and the URLs use. Renames keep the rows, grants, policies and
-- foreign keys (they refer to tables and columns by OID, not by name); what is renamed besides is
-- every sequence, index, constraint and policy whose name carried the old word. Function bodies are
-- kept as text, so the two MCP functions that name the old column or setting are made again.

ALTER TABLE prompts RENAME TO assistants;
ALTER SEQUENCE prompts_id_seq RENAME TO assistants_id_seq;
ALTER TABLE assistants RENAME CONSTRAINT prompts_pkey TO assistants_pkey;
ALTER TABLE assistants RENAME CONSTRAINT prompts_id_team_id_key TO assistants_id_team_id_key;
ALTER TABLE assistants RENAME CONSTRAINT prompts_team_id_fkey TO assistants_team_id_fkey;
ALTER TABLE assistants RENAME CONSTRAINT prompts_name_check TO assistants_name_check;
ALTER TABLE assistants RENAME CONSTRAINT prompts_description_check TO assistants_description_check;
ALTER INDEX prompts_team_id_idx RENAME TO assistants_team_id_idx;
ALTER POLICY prompts_of_user_teams ON assistants RENAME TO assistants_of_user_teams;
ALTER POLICY prompts_of_mcp ON assistants RENAME TO assistants_of_mcp;

ALTER TABLE prompt_integration RENAME TO assistant_integrations;
ALTER TABLE assistant_integrations RENAME COLUMN prompt_id TO assistant_id;
ALTER SEQUENCE prompt_integration_id_seq RENAME TO assistant_integrations_id_seq;
ALTER TABLE assistant_integrations RENAME CONSTRAINT prompt_integration_pkey TO assistant_integrations_pkey;
ALTER TABLE assistant_integrations
  RENAME CONSTRAINT prompt_integration_prompt_id_integration_id_key TO assistant_integrations_assistant_id_integration_id_key;
ALTER TABLE assistant_integrations RENAME CONSTRAINT prompt_integration_check TO assistant_integrations_one_connection_check;
ALTER TABLE assistant_integrations RENAME CONSTRAINT prompt_integration_integration_id_fkey TO assistant_integrations_integration_id_fkey;
ALTER TABLE assistant_integrations
  RENAME CONSTRAINT prompt_integration_prompt_id_team_id_fkey TO assistant_integrations_assistant_id_team_id_fkey;
ALTER TABLE assistant_integrations
  RENAME CONSTRAINT prompt_integration_api_connection_id_team_id_integration_i_fkey TO assistant_integrations_api_connection_fkey;
ALTER TABLE assistant_integrations
  RENAME CONSTRAINT prompt_integration_oauth2_connection_id_team_id_integratio_fkey TO assistant_integrations_oauth2_connection_fkey;
ALTER INDEX prompt_integration_team_idx RENAME TO assistant_integrations_team_idx;
ALTER INDEX prompt_integration_api_idx RENAME TO assistant_integrations_api_idx;
ALTER INDEX prompt_integration_oauth2_idx RENAME TO assistant_integrations_oauth2_idx;
ALTER INDEX prompt_integration_oauth2_used_idx RENAME TO assistant_integrations_oauth2_used_idx;
ALTER POLICY prompt_integration_of_user_teams ON assistant_integrations RENAME TO assistant_integrations_of_user_teams;
ALTER POLICY prompt_integration_of_mcp ON assistant_integrations RENAME TO assistant_integrations_of_mcp;

ALTER TABLE assistant_tokens RENAME COLUMN prompt_id TO assistant_id;
ALTER TABLE assistant_tokens RENAME CONSTRAINT assistant_tokens_prompt_id_team_id_fkey TO assistant_tokens_assistant_id_team_id_fkey;
ALTER INDEX assistant_tokens_prompt_idx RENAME TO assistant_tokens_assistant_idx;

ALTER TABLE mcp_tool_calls RENAME COLUMN prompt_id TO assistant_id;
ALTER INDEX mcp_tool_calls_prompt_idx RENAME TO mcp_tool_calls_assistant_idx;

ALTER TABLE connect_states RENAME COLUMN prompt_id TO assistant_id;
ALTER TABLE connect_states RENAME CONSTRAINT connect_states_prompt_id_team_id_fkey TO connect_states_assistant_id_team_id_fkey;

-- PostgreSQL 18 (and the embedded PGlite) names NOT NULL constraints too (prompts_name_not_null); older
-- servers have none, so this loop renames what it finds.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.conrelid::regclass AS tbl, c.conname, c.conrelid::regclass::text || '_' || a.attname || '_not_null' AS wanted
      FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     WHERE c.contype = 'n' AND c.conrelid IN ('assistants'::regclass, 'assistant_integrations'::regclass, 'assistant_tokens'::regclass, 'mcp_tool_calls'::regclass, 'connect_states'::regclass)
  LOOP
    IF r.conname <> r.wanted THEN
      EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', r.tbl, r.conname, r.wanted);
    END IF;
  END LOOP;
END
$$;

-- The assistant an MCP request acts for. Renamed rather than dropped: the policies on assistants,
-- assistant_integrations and mcp_tool_calls call it, and CREATE OR REPLACE keeps them bound to it.
ALTER FUNCTION mcp_prompt_id() RENAME TO mcp_assistant_id;
CREATE OR REPLACE FUNCTION mcp_assistant_id() RETURNS integer
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.mcp_assistant_id', true), '')::integer $$;

-- Same as in 1764400000000_mcp.sql with the new names. Its result columns change name, which
-- CREATE OR REPLACE refuses; nothing depends on it but the grant, made again below.
DROP FUNCTION mcp_authenticate(text, integer, integer);
CREATE FUNCTION mcp_authenticate(p_token_hash text, p_assistant_id integer, p_calls integer)
  RETURNS TABLE (token_id integer, team_id integer, assistant_id integer, token_name text, calls_in_window integer)
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
    WITH found AS (
      SELECT t.id, t.team_id, t.assistant_id, t.name FROM assistant_tokens t
       WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL
    ), touched AS (
      UPDATE assistant_tokens t
         SET last_used_at = now(),
             rate_window_calls = CASE WHEN t.rate_window_started_at > now() - interval '1 minute' THEN t.rate_window_calls + p_calls ELSE p_calls END,
             rate_window_started_at = CASE WHEN t.rate_window_started_at > now() - interval '1 minute' THEN t.rate_window_started_at ELSE now() END
        FROM found f
       WHERE t.id = f.id AND f.assistant_id = p_assistant_id
      RETURNING t.id, t.rate_window_calls
    )
    SELECT f.id, f.team_id, f.assistant_id, f.name, coalesce(u.rate_window_calls, 0) FROM found f LEFT JOIN touched u ON u.id = f.id
  $$;
REVOKE ALL ON FUNCTION mcp_authenticate(text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mcp_authenticate(text, integer, integer) TO switchboard_mcp;

-- Down Migration

-- The function names the columns by their new names: dropped first, made again once they are back.
DROP FUNCTION mcp_authenticate(text, integer, integer);

ALTER FUNCTION mcp_assistant_id() RENAME TO mcp_prompt_id;
CREATE OR REPLACE FUNCTION mcp_prompt_id() RETURNS integer
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.mcp_prompt_id', true), '')::integer $$;

ALTER TABLE connect_states RENAME CONSTRAINT connect_states_assistant_id_team_id_fkey TO connect_states_prompt_id_team_id_fkey;
ALTER TABLE connect_states RENAME COLUMN assistant_id TO prompt_id;

ALTER INDEX mcp_tool_calls_assistant_idx RENAME TO mcp_tool_calls_prompt_idx;
ALTER TABLE mcp_tool_calls RENAME COLUMN assistant_id TO prompt_id;

ALTER INDEX assistant_tokens_assistant_idx RENAME TO assistant_tokens_prompt_idx;
ALTER TABLE assistant_tokens RENAME CONSTRAINT assistant_tokens_assistant_id_team_id_fkey TO assistant_tokens_prompt_id_team_id_fkey;
ALTER TABLE assistant_tokens RENAME COLUMN assistant_id TO prompt_id;

ALTER POLICY assistant_integrations_of_mcp ON assistant_integrations RENAME TO prompt_integration_of_mcp;
ALTER POLICY assistant_integrations_of_user_teams ON assistant_integrations RENAME TO prompt_integration_of_user_teams;
ALTER INDEX assistant_integrations_oauth2_used_idx RENAME TO prompt_integration_oauth2_used_idx;
ALTER INDEX assistant_integrations_oauth2_idx RENAME TO prompt_integration_oauth2_idx;
ALTER INDEX assistant_integrations_api_idx RENAME TO prompt_integration_api_idx;
ALTER INDEX assistant_integrations_team_idx RENAME TO prompt_integration_team_idx;
ALTER TABLE assistant_integrations
  RENAME CONSTRAINT assistant_integrations_oauth2_connection_fkey TO prompt_integration_oauth2_connection_id_team_id_integratio_fkey;
ALTER TABLE assistant_integrations
  RENAME CONSTRAINT assistant_integrations_api_connection_fkey TO prompt_integration_api_connection_id_team_id_integration_i_fkey;
ALTER TABLE assistant_integrations
  RENAME CONSTRAINT assistant_integrations_assistant_id_team_id_fkey TO prompt_integration_prompt_id_team_id_fkey;
ALTER TABLE assistant_integrations RENAME CONSTRAINT assistant_integrations_integration_id_fkey TO prompt_integration_integration_id_fkey;
ALTER TABLE assistant_integrations RENAME CONSTRAINT assistant_integrations_one_connection_check TO prompt_integration_check;
ALTER TABLE assistant_integrations
  RENAME CONSTRAINT assistant_integrations_assistant_id_integration_id_key TO prompt_integration_prompt_id_integration_id_key;
ALTER TABLE assistant_integrations RENAME CONSTRAINT assistant_integrations_pkey TO prompt_integration_pkey;
ALTER SEQUENCE assistant_integrations_id_seq RENAME TO prompt_integration_id_seq;
ALTER TABLE assistant_integrations RENAME COLUMN assistant_id TO prompt_id;
ALTER TABLE assistant_integrations RENAME TO prompt_integration;

ALTER POLICY assistants_of_mcp ON assistants RENAME TO prompts_of_mcp;
ALTER POLICY assistants_of_user_teams ON assistants RENAME TO prompts_of_user_teams;
ALTER INDEX assistants_team_id_idx RENAME TO prompts_team_id_idx;
ALTER TABLE assistants RENAME CONSTRAINT assistants_description_check TO prompts_description_check;
ALTER TABLE assistants RENAME CONSTRAINT assistants_name_check TO prompts_name_check;
ALTER TABLE assistants RENAME CONSTRAINT assistants_team_id_fkey TO prompts_team_id_fkey;
ALTER TABLE assistants RENAME CONSTRAINT assistants_id_team_id_key TO prompts_id_team_id_key;
ALTER TABLE assistants RENAME CONSTRAINT assistants_pkey TO prompts_pkey;
ALTER SEQUENCE assistants_id_seq RENAME TO prompts_id_seq;
ALTER TABLE assistants RENAME TO prompts;

-- NOT NULL constraints' names, where the server has them (PostgreSQL 18, PGlite).
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.conrelid::regclass AS tbl, c.conname, c.conrelid::regclass::text || '_' || a.attname || '_not_null' AS wanted
      FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     WHERE c.contype = 'n' AND c.conrelid IN ('prompts'::regclass, 'prompt_integration'::regclass, 'assistant_tokens'::regclass, 'mcp_tool_calls'::regclass, 'connect_states'::regclass)
  LOOP
    IF r.conname <> r.wanted THEN
      EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', r.tbl, r.conname, r.wanted);
    END IF;
  END LOOP;
END
$$;

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
GRANT EXECUTE ON FUNCTION mcp_authenticate(text, integer, integer) TO switchboard_mcp;
