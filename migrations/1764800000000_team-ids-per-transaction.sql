-- Up Migration

-- The acting user's teams, looked up once per transaction instead of once per table a statement
-- names. Database.withUser and its siblings set app.team_ids, as '{1,2}', in the round trip that
-- sets the acting user (as the table owner, before the role switches): row-level security then
-- reads it instead of querying team_users in a SECURITY DEFINER function, which PostgreSQL plans
-- and runs once for every table of every statement. Without the setting (a transaction that set
-- only app.user_id), the teams come from team_users as before. Same rows visible, same checks;
-- see docs/decisions/024-team-ids-per-transaction.md.

CREATE FUNCTION app_user_team_ids_in_team_users() RETURNS integer[]
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT coalesce(array_agg(team_id), '{}') FROM team_users WHERE user_id = current_app_user() $$;

-- Neither SECURITY DEFINER nor SET: PostgreSQL inlines it into each policy's InitPlan.
CREATE OR REPLACE FUNCTION app_user_team_ids() RETURNS integer[]
  LANGUAGE sql STABLE
  AS $$ SELECT coalesce(nullif(current_setting('app.team_ids', true), '')::integer[], app_user_team_ids_in_team_users()) $$;

-- Down Migration

CREATE OR REPLACE FUNCTION app_user_team_ids() RETURNS integer[]
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT coalesce(array_agg(team_id), '{}') FROM team_users WHERE user_id = current_app_user() $$;

DROP FUNCTION app_user_team_ids_in_team_users();
