-- Up Migration

-- Every change to a session row (saved, touched, ended, pruned) is announced on the channel
-- session_changed, with the session id as the payload, once its transaction commits. An app process
-- on a PostgreSQL server keeps signed-in sessions it has loaded and listens on this channel: it
-- forgets a session as soon as any process (another instance, the operator's command line)
-- changes or ends it (see docs/decisions/032-kept-sessions-on-postgresql.md).
-- PostgreSQL folds identical notices of one transaction into one.
CREATE FUNCTION announce_session_change() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    PERFORM pg_notify('session_changed', OLD.sid);
    RETURN NULL;
  END
  $$;

-- An INSERT needs no notice: no process can have kept a session that did not exist. An upsert that
-- finds the row is an UPDATE, and fires this.
CREATE TRIGGER session_changed AFTER UPDATE OR DELETE ON session
  FOR EACH ROW EXECUTE FUNCTION announce_session_change();

-- Down Migration

DROP TRIGGER IF EXISTS session_changed ON session;
DROP FUNCTION IF EXISTS announce_session_change();
