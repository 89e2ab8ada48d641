import { createAssistant, createUser, flashText, makeTestApp, signIn, type SignedIn, type TestApp, type TestUser } from '../helpers/app';
import {
  addTeamMember,
  auditActions,
  createApiKeyConnection,
  createOAuth2Connection,
  integrationId,
  assistantIntegrations,
} from '../helpers/fixtures';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

/** Assistants written as the table owner, each using the given connection of the integration. */
async function assistantsUsing(
  teamId: number,
  slug: string,
  connection: { api?: number; oauth2?: number },
  count: number,
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const assistant = await createAssistant(t.db, teamId, `Assistant ${String(i).padStart(3, '0')}`);
    await t.db.withOwner((tx) =>
      tx.query(
        `INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id, oauth2_connection_id)
         VALUES ($1, $2, (SELECT id FROM integrations WHERE slug = $3), $4, $5)`,
        [teamId, assistant.id, slug, connection.api ?? null, connection.oauth2 ?? null],
      ),
    );
    ids.push(assistant.id);
  }
  return ids;
}

function connectionOf(assistantId: number) {
  return assistantIntegrations(t.db, assistantId).then((rows) =>
    rows.map((r) => ({ api: r.api_connection_id, oauth2: r.oauth2_connection_id })),
  );
}

async function setUp(role: 'admin' | 'member' = 'admin'): Promise<{ user: TestUser; session: SignedIn }> {
  const user = await createUser(t.db, { role });
  return { user, session: await signIn(t.app, user) };
}

const usedBy = (teamId: number, kind: 'api-key' | 'oauth2', id: number) => `/app/team/${teamId}/integrations/used-by/${kind}/${id}`;

function move(session: SignedIn, url: string, to: string, json = false) {
  const req = session.agent.post(`${url}/move`);
  if (json) return req.set('Accept', 'application/json').set('X-CSRF-Token', session.csrf).send({ to });
  return req.type('form').send({ to, _csrf: session.csrf });
}

describe('re-pointing every assistant of a connection', () => {
  it('lists the assistants, moves them all with a form, says so, and leaves the old key deletable with nobody using it', async () => {
    const { user, session } = await setUp();
    const oldKey = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Old Tavily');
    const newKey = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'New Tavily');
    const ids = await assistantsUsing(user.teamId, 'tavily', { api: oldKey }, 7);
    const url = usedBy(user.teamId, 'api-key', oldKey);

    const integrations = await session.agent.get(`/app/team/${user.teamId}/integrations`);
    expect(integrations.text).toContain(`href="${url}">7 assistants`);
    const page = await session.agent.get(url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Assistant 006');
    expect(page.text).toContain(`<option value="api:${newKey}">New Tavily (API key)</option>`);
    expect(page.text).not.toContain(`value="api:${oldKey}"`);

    const res = await move(session, url, `api:${newKey}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(url);
    const after = await session.agent.get(url);
    expect(flashText(after.text)).toEqual(['Moved 7 assistants from Old Tavily to New Tavily.']);
    expect(after.text).toContain('No assistant uses Old Tavily');
    for (const id of ids) expect(await connectionOf(id)).toEqual([{ api: newKey, oauth2: null }]);
    expect((await auditActions(t.db, user.teamId)).filter((a) => a === 'connection.assistants_moved')).toHaveLength(1);

    const confirm = await session.agent.get(`/app/team/${user.teamId}/integrations/api-keys/${oldKey}/delete`);
    expect(confirm.text).toContain('No assistant uses it.');
    const deleted = await session.agent
      .post(`/app/team/${user.teamId}/integrations/api-keys/${oldKey}/delete`)
      .type('form')
      .send({ _csrf: session.csrf });
    expect(deleted.status).toBe(303);
    for (const id of ids) expect(await connectionOf(id)).toEqual([{ api: newKey, oauth2: null }]);
  });

  it('moves 50 assistants in as many statements as 2, from an API key to an OAuth2 account, and answers JSON', async () => {
    const { user, session } = await setUp();
    const account = await createOAuth2Connection(t.db, user.teamId, 'github', { identity: 'ops@acme.test' });
    const statementsFor = async (count: number) => {
      const key = await createApiKeyConnection(t.db, user.teamId, 'github', `Key for ${count}`);
      const ids = await assistantsUsing(user.teamId, 'github', { api: key }, count);
      t.statements.length = 0;
      const res = await move(session, usedBy(user.teamId, 'api-key', key), `oauth2:${account}`, true);
      const statements = t.statements.filter((s) => !/session/i.test(s)).length;
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: true,
        moved: count,
        message: `Moved ${count} assistant${count === 1 ? '' : 's'} from Key for ${count} to ops@acme.test.`,
      });
      for (const id of ids) expect(await connectionOf(id)).toEqual([{ api: null, oauth2: account }]);
      return statements;
    };
    const few = await statementsFor(2);
    expect(await statementsFor(50)).toBe(few);
  });

  it('moves from an OAuth2 account found from its provider row, offering only working accounts', async () => {
    const { user, session } = await setUp();
    const old = await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'old@acme.test' });
    const fresh = await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'new@acme.test' });
    const expired = await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'gone@acme.test', status: 'EXPIRED' });
    const disabledHere = await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'off@acme.test', enabled: false });
    const ids = await assistantsUsing(user.teamId, 'gmail', { oauth2: old }, 3);
    const url = usedBy(user.teamId, 'oauth2', old);
    const integrations = await session.agent.get(`/app/team/${user.teamId}/integrations`);
    expect(integrations.text).toContain(`href="${url}">used by 3 assistants`);

    const page = await session.agent.get(url);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`value="oauth2:${fresh}"`);
    for (const id of [old, expired, disabledHere]) expect(page.text).not.toContain(`value="oauth2:${id}"`);

    const res = await move(session, url, `oauth2:${fresh}`, true);
    expect(res.body).toEqual({ success: true, moved: 3, message: 'Moved 3 assistants from old@acme.test to new@acme.test.' });
    for (const id of ids) expect(await connectionOf(id)).toEqual([{ api: null, oauth2: fresh }]);
  });

  it('stays consistent when assistants are switched while their connection is moved: no 5xx, each row on exactly one connection', async () => {
    const { user, session } = await setUp();
    const from = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'From');
    const to = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'To');
    const other = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Other');
    const tavily = await integrationId(t.db, 'tavily');
    const ids = await assistantsUsing(user.teamId, 'tavily', { api: from }, 20);
    const switched = [ids[0]!, ids[7]!, ids[19]!];

    const switches = switched.map((id) =>
      session.agent
        .post(`/app/team/${user.teamId}/assistant/${id}/integrations/add/${tavily}`)
        .set('Accept', 'application/json')
        .set('X-CSRF-Token', session.csrf)
        .send({ connection: `api:${other}` }),
    );
    const [moved, ...answers] = await Promise.all([move(session, usedBy(user.teamId, 'api-key', from), `api:${to}`, true), ...switches]);
    expect([moved.status, ...answers.map((a) => a.status)]).toEqual([200, 200, 200, 200]);
    expect([17, 18, 19, 20]).toContain(moved.body.moved);

    for (const id of ids) {
      const rows = await connectionOf(id);
      expect(rows).toEqual([{ api: switched.includes(id) ? other : to, oauth2: null }]);
    }
    const audit = await t.db.withOwner((tx) =>
      tx.query<{ details: { count: number } }>(
        "SELECT details FROM audit_events WHERE team_id = $1 AND action = 'connection.assistants_moved'",
        [user.teamId],
      ),
    );
    expect(audit.map((a) => a.details.count)).toEqual([moved.body.moved]);
  });

  it('refuses a target that is not a working connection of the same integration, with words, and changes nothing', async () => {
    const { user, session } = await setUp();
    const other = await createUser(t.db);
    const key = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Mine');
    const githubKey = await createApiKeyConnection(t.db, user.teamId, 'github', 'A GitHub key');
    const theirs = await createApiKeyConnection(t.db, other.teamId, 'tavily', 'Theirs');
    const ids = await assistantsUsing(user.teamId, 'tavily', { api: key }, 3);
    const url = usedBy(user.teamId, 'api-key', key);
    const expired = await createOAuth2Connection(t.db, user.teamId, 'gmail', { status: 'EXPIRED' });

    for (const target of [`api:${theirs}`, `api:${githubKey}`, `api:${key}`, `oauth2:${expired}`, 'api:999999']) {
      const json = await move(session, url, target, true);
      expect(json.status).toBe(422);
      expect(json.body.message).toMatch(/connection|already use/);
      const form = await move(session, url, target);
      expect(form.status).toBe(422);
      expect(form.text).toContain('role="alert"');
      expect(form.text).toContain('Assistant 002');
    }
    for (const id of ids) expect(await connectionOf(id)).toEqual([{ api: key, oauth2: null }]);
    expect(await auditActions(t.db, user.teamId)).not.toContain('connection.assistants_moved');
  });

  it("404s another team's connection as the source, 400s bad ids, 403s members; nothing changes", async () => {
    const { user, session } = await setUp();
    const other = await createUser(t.db);
    const theirs = await createApiKeyConnection(t.db, other.teamId, 'tavily', 'Theirs');
    const theirsToo = await createApiKeyConnection(t.db, other.teamId, 'tavily', 'Theirs too');
    const theirIds = await assistantsUsing(other.teamId, 'tavily', { api: theirs }, 2);
    const mine = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Mine');

    expect((await session.agent.get(usedBy(user.teamId, 'api-key', theirs))).status).toBe(404);
    expect((await move(session, usedBy(user.teamId, 'api-key', theirs), `api:${mine}`)).status).toBe(404);
    expect((await move(session, usedBy(user.teamId, 'api-key', theirs), `api:${theirsToo}`, true)).status).toBe(404);
    expect((await move(session, usedBy(other.teamId, 'api-key', theirs), `api:${theirsToo}`, true)).status).toBe(404);
    expect((await session.agent.get(`/app/team/${user.teamId}/integrations/used-by/api-key/abc`)).status).toBe(400);
    expect((await session.agent.get(`/app/team/${user.teamId}/integrations/used-by/password/1`)).status).toBe(400);
    const badTarget = await move(session, usedBy(user.teamId, 'api-key', mine), 'key:1', true);
    expect(badTarget.status).toBe(400);
    expect(badTarget.body.message).toContain('must be api:<id> or oauth2:<id>');
    for (const id of theirIds) expect(await connectionOf(id)).toEqual([{ api: theirs, oauth2: null }]);

    const member = await createUser(t.db, { role: 'member' });
    await addTeamMember(t.db, user.teamId, member.userId);
    const memberSession = await signIn(t.app, member);
    const target = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Target');
    const ids = await assistantsUsing(user.teamId, 'tavily', { api: mine }, 2);
    const page = await memberSession.agent.get(usedBy(user.teamId, 'api-key', mine));
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Move all to');
    const res = await memberSession.agent
      .post(`${usedBy(user.teamId, 'api-key', mine)}/move`)
      .type('form')
      .send({ to: `api:${target}`, _csrf: memberSession.csrf });
    expect(res.status).toBe(403);
    for (const id of ids) expect(await connectionOf(id)).toEqual([{ api: mine, oauth2: null }]);
  });
});
