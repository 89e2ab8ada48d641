import type { Database } from '../../server/db';

/** Test data written as the table owner, as an admin would have created it through the app. */

/** Makes a user a member of one more team. */
export async function addTeamMember(db: Database, teamId: number, userId: number): Promise<void> {
  await db.withOwner((tx) => tx.query("INSERT INTO team_users (team_id, user_id, role) VALUES ($1, $2, 'member')", [teamId, userId]));
}

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

export interface AssistantIntegrationRow {
  integration_id: number;
  api_connection_id: number | null;
  oauth2_connection_id: number | null;
}

export function assistantIntegrations(db: Database, assistantId: number): Promise<AssistantIntegrationRow[]> {
  return db.withOwner((tx) =>
    tx.query<AssistantIntegrationRow & Record<string, unknown>>(
      'SELECT integration_id, api_connection_id, oauth2_connection_id FROM assistant_integrations WHERE assistant_id = $1 ORDER BY integration_id',
      [assistantId],
    ),
  );
}

export function auditActions(db: Database, teamId: number): Promise<string[]> {
  return db
    .withOwner((tx) => tx.query<{ action: string }>('SELECT action FROM audit_events WHERE team_id = $1 ORDER BY id', [teamId]))
    .then((rows) => rows.map((r) => r.action));
}

/**
 * A team's data at a scale: 300 connections per unit (OAuth2 accounts over every Composio provider,
 * some expired or disabled in Composio, and API keys for the integrations that take them), 10
 * assistants per unit, each with up to `integrationsPerAssistant` integrations added. Written in a
 * few set-based statements, so 100 units (30,000 connections) take seconds.
 */
export async function seedTeamData(
  db: Database,
  teamId: number,
  units: number,
  integrationsPerAssistant = 20,
): Promise<{ connections: number; assistants: number[] }> {
  return db.withOwner(async (tx) => {
    const apiKeys = 60 * units;
    const oauth2 = 300 * units - apiKeys;
    await tx.query(
      `INSERT INTO oauth2_connections (team_id, integration_id, composio_account_id, composio_toolkit, account_identity, composio_status,
                                       composio_disabled, connected_at, composio_updated_at)
       SELECT $1::int, p.id, 'ca_seed_' || $1::int || '_' || g, p.composio_toolkits[1], 'user' || g || '@example.test',
              CASE WHEN g % 7 = 0 THEN 'EXPIRED' ELSE 'ACTIVE' END, g % 13 = 0,
              now() - (g || ' minutes')::interval, now() - (g || ' seconds')::interval
         FROM generate_series(1, $2) g
         JOIN LATERAL (SELECT id, composio_toolkits FROM integrations WHERE cardinality(composio_toolkits) > 0
                        ORDER BY id OFFSET g % (SELECT count(*) FROM integrations WHERE cardinality(composio_toolkits) > 0) LIMIT 1) p ON true`,
      [teamId, oauth2],
    );
    await tx.query(
      `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
       SELECT $1, k.id, 'key ' || g, 'not-a-real-ciphertext', '••••' || lpad(g::text, 4, '0')
         FROM generate_series(1, $2) g
         JOIN LATERAL (SELECT id FROM integrations WHERE auth IN ('api_key', 'api_key_or_oauth2')
                        ORDER BY id OFFSET g % (SELECT count(*) FROM integrations WHERE auth IN ('api_key', 'api_key_or_oauth2')) LIMIT 1) k ON true`,
      [teamId, apiKeys],
    );
    const assistants = await tx.query<{ id: number }>(
      "INSERT INTO assistants (team_id, name) SELECT $1, 'Assistant ' || g FROM generate_series(1, $2) g RETURNING id",
      [teamId, 10 * units],
    );
    // Each assistant gets the first integrations of the catalog, each with a connection it can use.
    await tx.query(
      `INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id, oauth2_connection_id)
       SELECT $1, p.id, i.id, c.api_id, CASE WHEN c.api_id IS NULL THEN c.oauth2_id END
         FROM unnest($2::int[]) AS p(id)
         CROSS JOIN (SELECT id, auth FROM integrations ORDER BY category_position, position, id LIMIT $3) i
         CROSS JOIN LATERAL (
           SELECT (SELECT min(a.id) FROM api_key_connections a WHERE a.team_id = $1 AND a.integration_id = i.id AND i.auth <> 'oauth2') AS api_id,
                  (SELECT min(o.id) FROM oauth2_connections o WHERE o.team_id = $1 AND o.integration_id = i.id AND i.auth <> 'api_key') AS oauth2_id
         ) c
        WHERE i.auth = 'none' OR c.api_id IS NOT NULL OR c.oauth2_id IS NOT NULL`,
      [teamId, assistants.map((a) => a.id), integrationsPerAssistant],
    );
    return { connections: oauth2 + apiKeys, assistants: assistants.map((a) => a.id) };
  });
}

/** The Composio user id the team owns (generated when it was created). */
export async function teamComposioUserId(db: Database, teamId: number): Promise<string> {
  const row = await db.withOwner((tx) =>
    tx.one<{ composio_user_id: string }>('SELECT composio_user_id FROM teams WHERE id = $1', [teamId]),
  );
  return row.composio_user_id;
}

/** Adds an integration to an assistant, with the connection it uses if it takes one. */
export async function addToAssistant(
  db: Database,
  teamId: number,
  assistantId: number,
  slug: string,
  connection: { api?: number; oauth2?: number } = {},
): Promise<void> {
  await db.withOwner((tx) =>
    tx.one(
      `INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id, oauth2_connection_id)
       SELECT $1, $2, id, $4, $5 FROM integrations WHERE slug = $3 RETURNING integration_id`,
      [teamId, assistantId, slug, connection.api ?? null, connection.oauth2 ?? null],
    ),
  );
}
