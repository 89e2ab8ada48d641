import type { Database } from '../../server/db';

/** Test data written as the table owner, as an admin would have created it through the app. */

export async function integrationId(db: Database, slug: string): Promise<number> {
  const row = await db.withOwner((tx) => tx.one<{ id: number }>('SELECT id FROM integrations WHERE slug = $1', [slug]));
  return row.id;
}

export async function createApiKeyConnection(db: Database, teamId: number, slug: string, label = `${slug} key`): Promise<number> {
  const row = await db.withOwner((tx) =>
    tx.one<{ id: number }>(
      `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
       SELECT $1, id, $3, 'not-a-real-ciphertext', '••••test' FROM integrations WHERE slug = $2 RETURNING id`,
      [teamId, slug, label],
    ),
  );
  return row.id;
}

export interface OAuth2Options {
  identity?: string | null;
  status?: string;
  enabled?: boolean;
  composioDisabled?: boolean;
  revoked?: boolean;
  disconnected?: boolean;
  accountId?: string;
}

export async function createOAuth2Connection(db: Database, teamId: number, slug: string, options: OAuth2Options = {}): Promise<number> {
  const row = await db.withOwner((tx) =>
    tx.one<{ id: number }>(
      `INSERT INTO oauth2_connections (team_id, integration_id, composio_account_id, composio_toolkit, account_identity, composio_status,
                                       composio_disabled, enabled, connected_at, composio_updated_at, revoked_at, disconnected_at)
       SELECT $1, id, $3, $2, $4, $5, $6, $7, now(), now(), CASE WHEN $8 THEN now() END, CASE WHEN $9 THEN now() END
         FROM integrations WHERE slug = $2 RETURNING id`,
      [
        teamId,
        slug,
        options.accountId ?? `ca_${Math.random().toString(36).slice(2)}`,
        options.identity === undefined ? `${slug}-user@example.com` : options.identity,
        options.status ?? 'ACTIVE',
        options.composioDisabled ?? false,
        options.enabled ?? true,
        options.revoked ?? false,
        options.disconnected ?? false,
      ],
    ),
  );
  return row.id;
}

export interface PromptIntegrationRow {
  integration_id: number;
  api_connection_id: number | null;
  oauth2_connection_id: number | null;
}

export function promptIntegrations(db: Database, promptId: number): Promise<PromptIntegrationRow[]> {
  return db.withOwner((tx) =>
    tx.query<PromptIntegrationRow & Record<string, unknown>>(
      'SELECT integration_id, api_connection_id, oauth2_connection_id FROM prompt_integration WHERE prompt_id = $1 ORDER BY integration_id',
      [promptId],
    ),
  );
}

export function auditActions(db: Database, teamId: number): Promise<string[]> {
  return db
    .withOwner((tx) => tx.query<{ action: string }>('SELECT action FROM audit_events WHERE team_id = $1 ORDER BY id', [teamId]))
    .then((rows) => rows.map((r) => r.action));
}
