-- Up Migration

-- The same policies as in the schema, with the acting user's teams looked up once per statement
-- instead of once per row: `(SELECT app_user_team_ids())::integer[]` is an InitPlan, where a bare call of the
-- SECURITY DEFINER function (which cannot be inlined) runs again for every row it filters. Same
-- rows visible, same checks; see docs/decisions/009-rls-policies-once-per-statement.md.

DROP POLICY teams_of_user ON teams;
CREATE POLICY teams_of_user ON teams
  USING (id = ANY ((SELECT app_user_team_ids())::integer[])) WITH CHECK (id = ANY ((SELECT app_user_team_ids())::integer[]));

DROP POLICY users_of_user_teams ON users;
CREATE POLICY users_of_user_teams ON users
  USING (id = (SELECT current_app_user())
         OR id IN (SELECT user_id FROM team_users WHERE team_id = ANY ((SELECT app_user_team_ids())::integer[])));

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['team_users', 'prompts', 'api_key_connections', 'oauth2_connections', 'prompt_integration', 'audit_events'] LOOP
    EXECUTE format('DROP POLICY %I ON %I', t || '_of_user_teams', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I USING (team_id = ANY ((SELECT app_user_team_ids())::integer[])) WITH CHECK (team_id = ANY ((SELECT app_user_team_ids())::integer[]))',
      t || '_of_user_teams', t);
  END LOOP;
END
$$;

-- Down Migration

DROP POLICY teams_of_user ON teams;
CREATE POLICY teams_of_user ON teams USING (id = ANY (app_user_team_ids())) WITH CHECK (id = ANY (app_user_team_ids()));

DROP POLICY users_of_user_teams ON users;
CREATE POLICY users_of_user_teams ON users
  USING (id = current_app_user() OR id IN (SELECT user_id FROM team_users WHERE team_id = ANY (app_user_team_ids())));

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['team_users', 'prompts', 'api_key_connections', 'oauth2_connections', 'prompt_integration', 'audit_events'] LOOP
    EXECUTE format('DROP POLICY %I ON %I', t || '_of_user_teams', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I USING (team_id = ANY (app_user_team_ids())) WITH CHECK (team_id = ANY (app_user_team_ids()))',
      t || '_of_user_teams', t);
  END LOOP;
END
$$;
