-- Up Migration

-- Each team owns exactly one Composio user id and no two teams share one: the team wall holds at
-- Composio too. Ids are generated and unguessable; binding an existing id is an operator action
-- (npm run team:composio). See docs/decisions/013-team-composio-user-id.md.
CREATE FUNCTION new_composio_user_id() RETURNS text
  LANGUAGE sql VOLATILE
  AS $$ SELECT 'sb_team_' || replace(gen_random_uuid()::text, '-', '') $$;

-- Teams that shared a value: the oldest keeps it, the others get fresh ids. Teams without one (they
-- synced the server-wide default) get fresh ids too. Each change is audited on its team.
WITH ranked AS (
  SELECT id, composio_user_id,
         row_number() OVER (PARTITION BY composio_user_id ORDER BY created_at, id) AS rank
    FROM teams
), reassigned AS (
  UPDATE teams t SET composio_user_id = new_composio_user_id()
    FROM ranked r
   WHERE r.id = t.id AND (r.composio_user_id IS NULL OR r.rank > 1)
  RETURNING t.id, r.composio_user_id AS previous, t.composio_user_id AS current
)
INSERT INTO audit_events (team_id, user_id, action, target, details)
SELECT id, NULL, 'composio.user_id_assigned', current,
       jsonb_build_object('previous', previous,
                          'reason', CASE WHEN previous IS NULL THEN 'server_default' ELSE 'shared_with_another_team' END)
  FROM reassigned;

ALTER TABLE teams
  ALTER COLUMN composio_user_id SET DEFAULT new_composio_user_id(),
  ALTER COLUMN composio_user_id SET NOT NULL,
  ADD CONSTRAINT teams_composio_user_id_key UNIQUE (composio_user_id);

-- The app role may record a sync time and nothing else on teams: the Composio user id is set only
-- by the table owner (team creation, the operator's command line).
REVOKE UPDATE ON teams FROM switchboard_app;
GRANT UPDATE (last_synced_at) ON teams TO switchboard_app;

-- Down Migration

REVOKE UPDATE (last_synced_at) ON teams FROM switchboard_app;
GRANT UPDATE ON teams TO switchboard_app;
ALTER TABLE teams
  DROP CONSTRAINT teams_composio_user_id_key,
  ALTER COLUMN composio_user_id DROP NOT NULL,
  ALTER COLUMN composio_user_id DROP DEFAULT;
DROP FUNCTION new_composio_user_id();
