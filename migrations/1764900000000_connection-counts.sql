-- Up Migration

-- How many connections each team has per integration, kept by triggers on the connection tables,
-- so that a page reads one small row per integration instead of probing the connections for each
-- one. The assistant page says whether each integration of the catalog has none, one or several
-- usable connections, and the nav counts the integrations that need a reconnect, on every request
-- (see docs/decisions/029-connection-counts.md).
--
-- api_keys        every API key of the integration
-- oauth2_usable   accounts assistants may use: enabled here, not revoked, still in Composio,
--                 ACTIVE there and not disabled there (the assistant page's "usable")
-- oauth2_present  accounts not revoked and still in Composio (the team page lists these)
-- oauth2_active   present accounts that are ACTIVE in Composio and not disabled there, enabled
--                 here or not (an integration with present accounts and none active needs a reconnect)
CREATE TABLE connection_counts (
  team_id integer NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  integration_id integer NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
  api_keys integer NOT NULL DEFAULT 0,
  oauth2_usable integer NOT NULL DEFAULT 0,
  oauth2_present integer NOT NULL DEFAULT 0,
  oauth2_active integer NOT NULL DEFAULT 0,
  PRIMARY KEY (team_id, integration_id)
);

ALTER TABLE connection_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY connection_counts_of_user_teams ON connection_counts FOR SELECT TO switchboard_app
  USING (team_id = ANY ((SELECT app_user_team_ids())::integer[]));
-- Read only: the triggers below write it as its owner.
GRANT SELECT ON connection_counts TO switchboard_app;

-- What one OAuth2 account row counts for, with sign +1 (a row that arrived) or -1 (one that left).
CREATE FUNCTION oauth2_connection_count(o oauth2_connections, sign integer) RETURNS connection_counts
  LANGUAGE sql IMMUTABLE
  AS $$
    SELECT ROW(o.team_id, o.integration_id, 0,
               sign * (o.enabled AND o.revoked_at IS NULL AND o.disconnected_at IS NULL
                       AND o.composio_status = 'ACTIVE' AND NOT o.composio_disabled)::integer,
               sign * (o.revoked_at IS NULL AND o.disconnected_at IS NULL)::integer,
               sign * (o.revoked_at IS NULL AND o.disconnected_at IS NULL
                       AND o.composio_status = 'ACTIVE' AND NOT o.composio_disabled)::integer)::connection_counts
  $$;

-- Adds signed changes, summed per team and integration; pairs that sum to nothing are not written
-- (an update that changed nothing counted). Rows are written in key order, so two statements that
-- change the same counts lock them in the same order. A team being deleted is skipped: its counts
-- go with it (ON DELETE CASCADE), and its connections' cascaded deletes must not bring them back.
CREATE FUNCTION add_connection_counts(changes connection_counts[]) RETURNS void
  LANGUAGE sql
  SET search_path = public, pg_temp
  AS $$
    INSERT INTO connection_counts AS c (team_id, integration_id, api_keys, oauth2_usable, oauth2_present, oauth2_active)
    SELECT d.team_id, d.integration_id, sum(d.api_keys), sum(d.oauth2_usable), sum(d.oauth2_present), sum(d.oauth2_active)
      FROM unnest(changes) d
     WHERE EXISTS (SELECT 1 FROM teams t WHERE t.id = d.team_id)
     GROUP BY d.team_id, d.integration_id
    HAVING sum(d.api_keys) <> 0 OR sum(d.oauth2_usable) <> 0 OR sum(d.oauth2_present) <> 0 OR sum(d.oauth2_active) <> 0
     ORDER BY d.team_id, d.integration_id
    ON CONFLICT (team_id, integration_id) DO UPDATE
       SET api_keys = c.api_keys + EXCLUDED.api_keys,
           oauth2_usable = c.oauth2_usable + EXCLUDED.oauth2_usable,
           oauth2_present = c.oauth2_present + EXCLUDED.oauth2_present,
           oauth2_active = c.oauth2_active + EXCLUDED.oauth2_active
  $$;
-- Only the triggers (as the owner) write counts.
REVOKE EXECUTE ON FUNCTION add_connection_counts(connection_counts[]) FROM PUBLIC;

-- Once per statement, with the rows it inserted (added), updated (both) or deleted (removed). As
-- the owner: the app's role may only read the counts.
CREATE FUNCTION count_api_key_connections() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      PERFORM add_connection_counts(ARRAY(SELECT ROW(a.team_id, a.integration_id, 1, 0, 0, 0)::connection_counts FROM added a));
    ELSIF TG_OP = 'UPDATE' THEN
      PERFORM add_connection_counts(ARRAY(
        SELECT ROW(a.team_id, a.integration_id, 1, 0, 0, 0)::connection_counts FROM added a
        UNION ALL
        SELECT ROW(r.team_id, r.integration_id, -1, 0, 0, 0)::connection_counts FROM removed r));
    ELSE
      PERFORM add_connection_counts(ARRAY(SELECT ROW(r.team_id, r.integration_id, -1, 0, 0, 0)::connection_counts FROM removed r));
    END IF;
    RETURN NULL;
  END
  $$;

CREATE FUNCTION count_oauth2_connections() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      PERFORM add_connection_counts(ARRAY(SELECT oauth2_connection_count(a, 1) FROM added a));
    ELSIF TG_OP = 'UPDATE' THEN
      PERFORM add_connection_counts(ARRAY(
        SELECT oauth2_connection_count(a, 1) FROM added a
        UNION ALL
        SELECT oauth2_connection_count(r, -1) FROM removed r));
    ELSE
      PERFORM add_connection_counts(ARRAY(SELECT oauth2_connection_count(r, -1) FROM removed r));
    END IF;
    RETURN NULL;
  END
  $$;

-- TRUNCATE removes every row without row events: every count of that kind is then zero.
CREATE FUNCTION zero_connection_counts() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    IF TG_TABLE_NAME = 'api_key_connections' THEN
      UPDATE connection_counts SET api_keys = 0 WHERE api_keys <> 0;
    ELSE
      UPDATE connection_counts SET oauth2_usable = 0, oauth2_present = 0, oauth2_active = 0
       WHERE oauth2_usable <> 0 OR oauth2_present <> 0 OR oauth2_active <> 0;
    END IF;
    RETURN NULL;
  END
  $$;

CREATE TRIGGER api_key_connections_counted_insert AFTER INSERT ON api_key_connections
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_api_key_connections();
CREATE TRIGGER api_key_connections_counted_update AFTER UPDATE ON api_key_connections
  REFERENCING NEW TABLE AS added OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_api_key_connections();
CREATE TRIGGER api_key_connections_counted_delete AFTER DELETE ON api_key_connections
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_api_key_connections();
CREATE TRIGGER api_key_connections_counted_truncate AFTER TRUNCATE ON api_key_connections
  FOR EACH STATEMENT EXECUTE FUNCTION zero_connection_counts();

CREATE TRIGGER oauth2_connections_counted_insert AFTER INSERT ON oauth2_connections
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_oauth2_connections();
CREATE TRIGGER oauth2_connections_counted_update AFTER UPDATE ON oauth2_connections
  REFERENCING NEW TABLE AS added OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_oauth2_connections();
CREATE TRIGGER oauth2_connections_counted_delete AFTER DELETE ON oauth2_connections
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_oauth2_connections();
CREATE TRIGGER oauth2_connections_counted_truncate AFTER TRUNCATE ON oauth2_connections
  FOR EACH STATEMENT EXECUTE FUNCTION zero_connection_counts();

-- The counts of the connections there are now.
SELECT add_connection_counts(ARRAY(
  SELECT ROW(a.team_id, a.integration_id, 1, 0, 0, 0)::connection_counts FROM api_key_connections a
  UNION ALL
  SELECT oauth2_connection_count(o, 1) FROM oauth2_connections o));

-- Down Migration

DROP TRIGGER IF EXISTS oauth2_connections_counted_truncate ON oauth2_connections;
DROP TRIGGER IF EXISTS oauth2_connections_counted_delete ON oauth2_connections;
DROP TRIGGER IF EXISTS oauth2_connections_counted_update ON oauth2_connections;
DROP TRIGGER IF EXISTS oauth2_connections_counted_insert ON oauth2_connections;
DROP TRIGGER IF EXISTS api_key_connections_counted_truncate ON api_key_connections;
DROP TRIGGER IF EXISTS api_key_connections_counted_delete ON api_key_connections;
DROP TRIGGER IF EXISTS api_key_connections_counted_update ON api_key_connections;
DROP TRIGGER IF EXISTS api_key_connections_counted_insert ON api_key_connections;
DROP FUNCTION IF EXISTS zero_connection_counts();
DROP FUNCTION IF EXISTS count_oauth2_connections();
DROP FUNCTION IF EXISTS count_api_key_connections();
DROP FUNCTION IF EXISTS add_connection_counts(connection_counts[]);
DROP FUNCTION IF EXISTS oauth2_connection_count(oauth2_connections, integer);
DROP TABLE IF EXISTS connection_counts;
