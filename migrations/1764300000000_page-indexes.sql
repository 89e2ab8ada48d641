-- Up Migration

-- Indexes that keep the pages flat as a team grows (tens of thousands of connections): each page
-- counts or picks from an index instead of reading every connection of the team.

-- The assistant page asks whether each integration has none, one or several usable OAuth2
-- accounts, and the picker lists them: both from this index.
CREATE INDEX oauth2_connections_usable_idx ON oauth2_connections (team_id, integration_id)
  WHERE enabled AND revoked_at IS NULL AND disconnected_at IS NULL AND composio_status = 'ACTIVE' AND NOT composio_disabled;

-- The team page: per provider, the count of present accounts and the best one (usable first, then
-- the most recently updated) straight from the index, without sorting the provider's accounts.
CREATE INDEX oauth2_connections_present_idx
  ON oauth2_connections (team_id, integration_id, ((composio_status = 'ACTIVE' AND NOT composio_disabled)) DESC, composio_updated_at DESC, id DESC)
  INCLUDE (enabled)
  WHERE revoked_at IS NULL AND disconnected_at IS NULL;

-- The team page lists the first API keys of each integration in label order.
CREATE INDEX api_key_connections_label_idx ON api_key_connections (team_id, integration_id, lower(label), id);

-- used_by: the assistant rows that use an OAuth2 connection, counted per integration in one
-- index-only pass over the team's rows.
CREATE INDEX prompt_integration_oauth2_used_idx ON prompt_integration (team_id, integration_id) WHERE oauth2_connection_id IS NOT NULL;

-- Down Migration

DROP INDEX IF EXISTS prompt_integration_oauth2_used_idx;
DROP INDEX IF EXISTS api_key_connections_label_idx;
DROP INDEX IF EXISTS oauth2_connections_present_idx;
DROP INDEX IF EXISTS oauth2_connections_usable_idx;
