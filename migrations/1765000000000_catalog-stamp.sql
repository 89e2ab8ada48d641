-- Up Migration

-- A stamp that changes with every change to the catalog of integrations, in the same transaction.
-- An app process keeps the catalog's text (labels, descriptions, icons, categories) for the stamp
-- it last read, and the assistant page's read sends that text again only when the stamp has moved:
-- the text is most of the page's data and nearly never changes (see docs/decisions/030-catalog-kept-in-the-process.md).
-- A random value rather than a counter, so that stamps of different databases never match.
CREATE TABLE catalog_stamp (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  stamp uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO catalog_stamp DEFAULT VALUES;
-- Not a team's data: every role that reads the catalog may read its stamp; only the owner writes it.
GRANT SELECT ON catalog_stamp TO switchboard_app;

CREATE FUNCTION restamp_catalog() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    UPDATE catalog_stamp SET stamp = gen_random_uuid();
    RETURN NULL;
  END
  $$;

CREATE TRIGGER integrations_restamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON integrations
  FOR EACH STATEMENT EXECUTE FUNCTION restamp_catalog();

-- Down Migration

DROP TRIGGER IF EXISTS integrations_restamp ON integrations;
DROP FUNCTION IF EXISTS restamp_catalog();
DROP TABLE IF EXISTS catalog_stamp;
