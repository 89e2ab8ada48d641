-- Up Migration

-- Set by the background sync when Composio's listing would take connections away from assistants
-- (or remove every connection of the team): nobody is there to confirm, so it applies nothing and
-- says why here; the team page shows it and the next sync a person confirms clears it.
ALTER TABLE teams ADD COLUMN sync_paused_reason text;
GRANT UPDATE (sync_paused_reason) ON teams TO switchboard_app;

-- Down Migration

REVOKE UPDATE (sync_paused_reason) ON teams FROM switchboard_app;
ALTER TABLE teams DROP COLUMN sync_paused_reason;
