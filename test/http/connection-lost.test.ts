import { createAssistant, createUser, decodeEntities, makeTestApp, signIn, type TestApp } from '../helpers/app';
import { createApiKeyConnection, createOAuth2Connection, integrationId, type OAuth2Options } from '../helpers/fixtures';

/**
 * "Connection lost" says which connection and why, and offers the one action that fixes it:
 * Enable (disabled here), Reconnect (expired or disabled in Composio), Choose another (revoked,
 * gone from Composio, a deleted API key).
 */
let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

async function addedWith(options: OAuth2Options & { statusReason?: string }, role: 'admin' | 'member' = 'admin') {
  const user = await createUser(t.db, { role });
  const assistant = await createAssistant(t.db, user.teamId);
  const gmail = await integrationId(t.db, 'gmail');
  const connectionId = await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'ops@acme.test', ...options });
  await t.db.withOwner(async (tx) => {
    await tx.query(
      'INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, oauth2_connection_id) VALUES ($1, $2, $3, $4)',
      [user.teamId, assistant.id, gmail, connectionId],
    );
    await tx.query('UPDATE oauth2_connections SET composio_status_reason = $2 WHERE id = $1', [connectionId, options.statusReason ?? null]);
  });
  const session = await signIn(t.app, user);
  const res = await session.agent.get(`/app/team/${user.teamId}/assistant/${assistant.id}/integrations`);
  expect(res.status).toBe(200);
  const row = /<li class="row" id="integration-gmail">([\s\S]*?)<\/li>/.exec(res.text)![1]!;
  return { teamId: user.teamId, assistantId: assistant.id, session, row: decodeEntities(row.replace(/\s+/g, ' ')) };
}

const buttons = (row: string) => [...row.matchAll(/<(?:button|a)[^>]*>([^<]*)/g)].map((m) => m[1]!.trim()).filter(Boolean);

describe('Connection lost', () => {
  it('disabled here: names the account and offers Enable, which posts the team toggle', async () => {
    const { teamId, row } = await addedWith({ enabled: false });
    expect(row).toContain('Connection lost');
    expect(row).toContain('It used “ops@acme.test”, which is disabled on the team’s Integrations page.');
    expect(row).toContain(`action="/app/team/${teamId}/integrations/gmail/toggle"`);
    expect(buttons(row)).toEqual(['Enable', 'Remove']);
  });

  it('expired in Composio: says so, with Composio’s reason, and offers Reconnect', async () => {
    const { teamId, row } = await addedWith({ status: 'EXPIRED', statusReason: 'Refresh token revoked by the user' });
    expect(row).toContain(
      'It used “ops@acme.test”, which has expired in Composio and needs a reconnect. (Refresh token revoked by the user)',
    );
    expect(buttons(row)).toEqual(['Reconnect', 'Remove']);
    // Composio is not configured on this server: Reconnect leads to the team page, which explains.
    expect(row).toContain(`href="/app/team/${teamId}/integrations#provider-gmail"`);
    expect((await addedWith({ status: 'FAILED' })).row).toContain('(Composio reports it failed)');
    expect((await addedWith({ composioDisabled: true })).row).toContain('which is disabled in Composio and needs a reconnect.');
  });

  it('revoked, gone from Composio, or a deleted API key: offers Choose another', async () => {
    for (const [options, text] of [
      [{ revoked: true }, 'It used “ops@acme.test”, which was revoked.'],
      [{ disconnected: true }, 'It used “ops@acme.test”, which is no longer in Composio.'],
    ] as const) {
      const { row } = await addedWith(options);
      expect(row).toContain(text);
      expect(buttons(row)).toEqual(['Choose another', 'Remove']);
    }

    const user = await createUser(t.db);
    const assistant = await createAssistant(t.db, user.teamId);
    const tavily = await integrationId(t.db, 'tavily');
    const keyId = await createApiKeyConnection(t.db, user.teamId, 'tavily');
    await t.db.withOwner(async (tx) => {
      await tx.query(
        'INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id) VALUES ($1, $2, $3, $4)',
        [user.teamId, assistant.id, tavily, keyId],
      );
      await tx.query('DELETE FROM api_key_connections WHERE id = $1', [keyId]);
    });
    const session = await signIn(t.app, user);
    const page = await session.agent.get(`/app/team/${user.teamId}/assistant/${assistant.id}/integrations`);
    const row = decodeEntities(/<li class="row" id="integration-tavily">([\s\S]*?)<\/li>/.exec(page.text)![1]!.replace(/\s+/g, ' '));
    expect(row).toContain('The API key it used was deleted.');
    expect(buttons(row)).toEqual(['Choose another', 'Remove']);
  });

  it("Enable comes back to the assistant, at the row, with the list's filter; elsewhere, or without a valid return_to, to the team page", async () => {
    const { teamId, assistantId, session, row } = await addedWith({ enabled: false });
    const page = `/app/team/${teamId}/assistant/${assistantId}/integrations`;
    expect(row).toContain(`name="return_to" value="${page}"`);
    const toggle = `/app/team/${teamId}/integrations/gmail/toggle`;
    const enable = (url: string, returnTo: string, enabled = 'true') =>
      session.agent.post(url).type('form').send({ _csrf: session.csrf, enabled, confirm: 'yes', return_to: returnTo });

    const back = await enable(`${toggle}?q=gm&status=needs_attention&auth=bogus`, page);
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe(`${page}?q=gm&status=needs_attention#integration-gmail`);
    const after = await session.agent.get(`${page}?q=gm`);
    const fixed = decodeEntities(/<li class="row" id="integration-gmail">([\s\S]*?)<\/li>/.exec(after.text)![1]!.replace(/\s+/g, ' '));
    expect(fixed).toContain('Added');
    expect(fixed).not.toContain('Connection lost');
    expect(fixed).toContain('Enabled');

    // Disabling never goes back to an assistant; nor does a return_to of another team, or not a page.
    const other = await createUser(t.db);
    const otherAssistant = await createAssistant(t.db, other.teamId);
    const teamPage = `/app/team/${teamId}/integrations#provider-gmail`;
    for (const [returnTo, enabled] of [
      [page, 'false'],
      [`/app/team/${other.teamId}/assistant/${otherAssistant.id}/integrations`, 'true'],
      ['https://evil.example/app', 'true'],
      [`${page}/../../../integrations`, 'true'],
    ] as const) {
      const res = await enable(toggle, returnTo, enabled);
      expect([returnTo, res.status, res.headers.location]).toEqual([returnTo, 303, teamPage]);
    }
  });

  it('members see why, but only Choose another', async () => {
    const { row } = await addedWith({ enabled: false }, 'member');
    expect(row).toContain('which is disabled on the team’s Integrations page.');
    expect(buttons(row)).not.toContain('Enable');
  });

  it('keeps the documented JSON shape', async () => {
    const user = await createUser(t.db);
    const assistant = await createAssistant(t.db, user.teamId);
    const session = await signIn(t.app, user);
    const res = await session.agent
      .get(`/app/team/${user.teamId}/assistant/${assistant.id}/integrations`)
      .set('Accept', 'application/json');
    expect(Object.keys(res.body.integrations[0]).sort()).not.toContain('lost');
  });
});
