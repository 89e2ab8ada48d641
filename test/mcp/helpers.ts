import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { encryptSecret } from '../../server/crypto/secrets';
import type { Database } from '../../server/db';
import { TEST_ENCRYPTION_KEY, type SignedIn } from '../helpers/app';

/** The MCP SDK's own client over Streamable HTTP, with a bearer token. */
export async function mcpClient(endpoint: string, token: string): Promise<Client> {
  const client = new Client({ name: 'switchboard-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/** Creates a token through the assistant page's form (JSON answer), as an admin would. */
export async function createToken(session: SignedIn, teamId: number, assistantId: number, name = 'Test client'): Promise<string> {
  const res = await session.agent
    .post(`/app/team/${teamId}/assistant/${assistantId}/mcp/tokens`)
    .set('Accept', 'application/json')
    .set('X-CSRF-Token', session.csrf)
    .send({ name });
  if (res.status !== 201) throw new Error(`token creation failed: ${res.status} ${res.text.slice(0, 200)}`);
  return res.body.token.token as string;
}

/** An API key stored the way the app stores one: encrypted with the test key. */
export async function createEncryptedApiKey(db: Database, teamId: number, slug: string, key: string): Promise<number> {
  const row = await db.withOwner((tx) =>
    tx.one<{ id: number }>(
      `INSERT INTO api_key_connections (team_id, integration_id, label, secret_encrypted, secret_hint)
       SELECT $1, id, $3, $4, '••••' FROM integrations WHERE slug = $2 RETURNING id`,
      [teamId, slug, `${slug} key`, encryptSecret(Buffer.from(TEST_ENCRYPTION_KEY, 'hex'), key)],
    ),
  );
  return row.id;
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}
