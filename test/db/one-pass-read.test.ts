import { listCatalogForAssistant } from '../../server/assistant-integrations/queries';
import { toView } from '../../server/assistant-integrations/service';
import { listToolSources } from '../../server/mcp/queries';
import { createAssistant, createUser, makeTestApp, type TestApp } from '../helpers/app';
import { addToAssistant, createApiKeyConnection, createOAuth2Connection, integrationId, type OAuth2Options } from '../helpers/fixtures';

/**
 * The assistant page reads its catalog's choices and its tool permissions in one pass over the
 * assistant's added integrations (docs/decisions/035-one-pass-over-added-integrations.md). Its
 * answers must be exactly those of the reads that look each connection up on its own: the read with
 * connections (JSON clients) and listToolSources (the MCP endpoint and the permissions form), in
 * every state a connection can be in.
 */
let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

class RolledBack extends Error {}

/** An assistant with an integration in every state a connection can be in, and teams' counts of none, one and several. */
async function assistantInEveryState() {
  const user = await createUser(t.db);
  const assistant = await createAssistant(t.db, user.teamId);
  const add = (slug: string, connection: { api?: number; oauth2?: number } = {}) =>
    addToAssistant(t.db, user.teamId, assistant.id, slug, connection);
  const oauth2 = (slug: string, options: OAuth2Options) => createOAuth2Connection(t.db, user.teamId, slug, options);

  // Usable: an API key (the team has two), an OAuth2 account named by Composio's id alone.
  await add('tavily', { api: await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Main key') });
  await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Spare key');
  await add('github', { oauth2: await oauth2('github', { identity: null, accountId: 'ca_ends_9f3a' }) });
  // Lost, for each reason; one with Composio's reason given.
  await add('gmail', { oauth2: await oauth2('gmail', { enabled: false }) });
  const expired = await oauth2('googledocs', { status: 'EXPIRED' });
  await t.db.withOwner((tx) => tx.query("UPDATE oauth2_connections SET composio_status_reason = 'Token revoked' WHERE id = $1", [expired]));
  await add('googledocs', { oauth2: expired });
  await add('googlesheets', { oauth2: await oauth2('googlesheets', { revoked: true }) });
  await add('google_drive', { oauth2: await oauth2('google_drive', { disconnected: true }) });
  await add('googlecalendar', { oauth2: await oauth2('googlecalendar', { composioDisabled: true }) });
  await add('notion', { oauth2: await oauth2('notion', { status: 'FAILED', enabled: false }) });
  // A deleted API key leaves the row pointing at nothing.
  const deleted = await createApiKeyConnection(t.db, user.teamId, 'linear');
  await add('linear', { api: deleted });
  await t.db.withOwner((tx) => tx.query('DELETE FROM api_key_connections WHERE id = $1', [deleted]));
  // No connection needed; and some tools allowed, not all.
  await add('calculator');
  const gmail = await integrationId(t.db, 'gmail');
  await t.db.withOwner((tx) =>
    tx.query("UPDATE assistant_integrations SET allowed_tools = '{GMAIL_SEND_EMAIL}' WHERE assistant_id = $1 AND integration_id = $2", [
      assistant.id,
      gmail,
    ]),
  );
  return { user, assistant };
}

describe("the assistant page's one pass over its added integrations", () => {
  it('answers as the reads that look each connection up, in every state, with the tool permissions', async () => {
    const { user, assistant } = await assistantInEveryState();
    // The toolkit tables are shared by every team: this part is rolled back.
    const outcome = t.db.withOwner(async (tx) => {
      await tx.query(
        `WITH fetched AS (INSERT INTO composio_toolkit_fetches (toolkit, fetched_at) VALUES ('gmail', now() - interval '1 hour')
                          ON CONFLICT (toolkit) DO UPDATE SET fetched_at = EXCLUDED.fetched_at)
         INSERT INTO composio_tools (toolkit, slug, name, description, input_schema, position)
         VALUES ('gmail', 'GMAIL_SEND_EMAIL', 'Send email', 'Sends an email', '{"type": "object"}', 0),
                ('gmail', 'GMAIL_LIST_THREADS', 'List threads', 'Lists threads', '{"type": "object"}', 1)
         ON CONFLICT DO NOTHING`,
      );
      await tx.query(`SELECT set_config('role', 'switchboard_app', true), set_config('app.user_id', $1, true)`, [String(user.userId)]);

      const page = (await listCatalogForAssistant(tx, user.teamId, assistant.id, { withConnections: false, withToolSources: true }))!;
      const counts = (await listCatalogForAssistant(tx, user.teamId, assistant.id, { withConnections: false }))!;
      const json = (await listCatalogForAssistant(tx, user.teamId, assistant.id, { withConnections: true }))!;
      const sources = await listToolSources(tx, { teamId: user.teamId, assistantId: assistant.id }, { inputSchemas: false });

      expect(page.toolSources).toEqual(sources);
      expect(page.catalog).toEqual(json.catalog.map((row) => ({ ...row, connections: null })));
      expect(counts).toEqual({ ...page, toolSources: null });
      expect(json.toolSources).toBeNull();

      // The comparisons mean something only if every state is there.
      const views = page.catalog.map(toView);
      expect(new Set(views.map((view) => view.lost?.reason).filter(Boolean))).toEqual(
        new Set(['disabled', 'expired', 'revoked', 'gone', 'disabled_in_composio', 'deleted']),
      );
      expect(views.find((view) => view.slug === 'googledocs')!.lost!.detail).toBe('Token revoked');
      expect(views.find((view) => view.slug === 'github')!.connection!.label).toBe('GitHub account ending …9f3a');
      expect(new Set(page.catalog.map((row) => row.connection_count))).toEqual(new Set([0, 1, 2]));
      expect(new Set(sources.map((source) => source.connection_problem))).toEqual(
        new Set([null, 'missing', 'disabled', 'expired', 'revoked', 'gone', 'disabled_in_composio']),
      );
      const gmailSource = sources.find((source) => source.slug === 'gmail')!;
      expect(gmailSource.fetched_at).toBeInstanceOf(Date);
      expect(gmailSource.allowed_tools).toEqual(['GMAIL_SEND_EMAIL']);
      // Other tests may have cached more of gmail's tools (the table is every team's): ours are there.
      expect(gmailSource.tools.map((tool) => tool.slug)).toEqual(expect.arrayContaining(['GMAIL_SEND_EMAIL', 'GMAIL_LIST_THREADS']));
      // In catalog order, as listToolSources orders them.
      expect(sources.map((source) => source.slug)).toEqual(page.catalog.filter((row) => row.added_id !== null).map((row) => row.slug));
      throw new RolledBack();
    });
    await expect(outcome).rejects.toThrow(RolledBack);
  });

  it('shows another team nothing of the assistant, whichever team it names', async () => {
    const { user, assistant } = await assistantInEveryState();
    const other = await createUser(t.db);
    for (const teamId of [user.teamId, other.teamId]) {
      const read = await t.db.withUser(other.userId, (tx) =>
        listCatalogForAssistant(tx, teamId, assistant.id, { withConnections: false, withToolSources: true }),
      );
      expect(read).toBeNull();
    }
  });
});
