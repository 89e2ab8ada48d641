import request from 'supertest';
import {
  createAssistant,
  createUser,
  csrfFrom,
  decodeEntities,
  makeTestApp,
  postForm,
  signIn,
  type SignedIn,
  type TestApp,
  type TestUser,
} from '../helpers/app';
import { createApiKeyConnection, createOAuth2Connection, integrationId, assistantIntegrations } from '../helpers/fixtures';

// Every form with fields answers bad input the same way: 422, the page again with a summary at
// the top of the form and each message beside its field, what was typed kept (secrets excepted),
// nothing changed; JSON clients get { error, message, fields }.

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

async function setUp(): Promise<{ user: TestUser; session: SignedIn; team: string }> {
  const user = await createUser(t.db);
  return { user, session: await signIn(t.app, user), team: `/app/team/${user.teamId}` };
}

const json = (session: SignedIn, url: string, body: Record<string, unknown>) =>
  session.agent.post(url).set('Accept', 'application/json').set('X-CSRF-Token', session.csrf).send(body);
const htmx = (session: SignedIn, url: string, body: Record<string, string>) =>
  session.agent.post(url).set('HX-Request', 'true').set('HX-Boosted', 'true').set('X-CSRF-Token', session.csrf).type('form').send(body);

/** The opening tag of the element with this id. */
function tagOf(html: string, id: string): string {
  const tag = new RegExp(`<(?:input|select|fieldset)\\b[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
  if (!tag) throw new Error(`no control with id ${id}`);
  return tag;
}

/** The control is marked invalid and described by its message, which sits beside it and is linked from the summary. */
function expectFieldMessage(html: string, formId: string, controlId: string, message: string) {
  const page = decodeEntities(html);
  expect(tagOf(page, controlId)).toContain('aria-invalid="true"');
  expect(tagOf(page, controlId)).toMatch(new RegExp(`aria-describedby="${controlId}-error`));
  const messageAt = page.indexOf(
    `<p class="field-error" id="${controlId}-error"><span class="visually-hidden">Error: </span>${message}</p>`,
  );
  expect(messageAt).toBeGreaterThan(-1);
  // Beside the field, inside its form: just before an input or select, first in a group of choices.
  const formAt = page.indexOf(`id="${formId}"`);
  expect(formAt).toBeGreaterThan(-1);
  expect(messageAt).toBeGreaterThan(formAt);
  expect(page.indexOf('</form>', formAt)).toBeGreaterThan(messageAt);
  const controlAt = page.indexOf(`id="${controlId}"`, formAt);
  if (tagOf(page, controlId).startsWith('<fieldset')) {
    expect(page.slice(controlAt, messageAt)).toMatch(/^[^]*<\/legend>\s*$/);
  } else {
    expect(page.slice(messageAt, controlAt)).toMatch(/^<p class="field-error"[^]*<\/p>\s*<(input|select) $/);
  }
  const summary = summaryOf(page, formId);
  expect(summary).toContain(`<a href="#${controlId}">${message}</a>`);
}

/** The form's summary: first in the form, announced and focused when it arrives. */
function summaryOf(page: string, formId: string): string {
  const summary = new RegExp(
    `<form[^>]*id="${formId}"[^>]*>\\s*<div class="form-errors" id="${formId}-errors" role="alert" tabindex="-1" autofocus>([\\s\\S]*?)</div>`,
  ).exec(page)?.[1];
  if (!summary) throw new Error(`no summary at the top of ${formId}`);
  return summary;
}

describe('the sign-in form', () => {
  it('keeps the email, never the password, and names the field; JSON gets fields', async () => {
    const agent = request.agent(t.app);
    const token = csrfFrom((await agent.get('/login')).text);
    const res = await agent.post('/login').type('form').send({ email: 'a', password: 'typed-secret-password', _csrf: token });
    expect(res.status).toBe(422);
    expectFieldMessage(res.text, 'login-form', 'email', 'Enter your email address.');
    expect(tagOf(res.text, 'email')).toContain('value="a"');
    expect(res.text).not.toContain('typed-secret-password');
    expect(tagOf(res.text, 'password')).not.toContain('aria-invalid');

    const wrong = await agent
      .post('/login')
      .type('form')
      .send({ email: 'nobody@example.test', password: 'typed-secret-password', _csrf: token });
    expect(wrong.status).toBe(401);
    expect(summaryOf(decodeEntities(wrong.text), 'login-form')).toMatch(
      /<li>That email and password do not match any? (user|account)\.<\/li>/,
    );
    expect(tagOf(wrong.text, 'email')).toContain('value="nobody@example.test"');
    expect(wrong.text).not.toContain('typed-secret-password');

    const asJson = await agent
      .post('/login')
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', token)
      .send({ email: '', password: '' });
    expect(asJson.status).toBe(400);
    expect(asJson.body).toEqual({
      error: 'bad_request',
      message: 'Enter your email address.',
      fields: { email: 'Enter your email address.', password: 'Enter your password.' },
    });
  });
});

describe('the assistant forms', () => {
  const names = (teamId: number) =>
    t.db.withOwner((tx) =>
      tx.query<{ name: string; description: string }>('SELECT name, description FROM assistants WHERE team_id = $1 ORDER BY id', [teamId]),
    );

  it('create: 422 with the message beside the name, the description kept, nothing created', async () => {
    const { user, session, team } = await setUp();
    const res = await postForm(session, `${team}/assistants`, { name: '  ', description: 'Answers <b>sales</b> email' });
    expect(res.status).toBe(422);
    expectFieldMessage(res.text, 'new-assistant-form', 'assistant-name', 'Give the assistant a name.');
    expect(tagOf(res.text, 'assistant-description')).toContain('value="Answers &lt;b&gt;sales&lt;/b&gt; email"');
    expect(tagOf(res.text, 'assistant-description')).not.toContain('aria-invalid');
    expect(await names(user.teamId)).toEqual([]);

    const asJson = await json(session, `${team}/assistants`, { name: 'x'.repeat(101) });
    expect(asJson.status).toBe(400);
    expect(asJson.body).toEqual({
      error: 'bad_request',
      message: 'Keep the name under 100 characters.',
      fields: { name: 'Keep the name under 100 characters.' },
    });
    expect(await names(user.teamId)).toEqual([]);
  });

  it('create with htmx: only the form is swapped, in place, without a history entry', async () => {
    const { user, session, team } = await setUp();
    const res = await htmx(session, `${team}/assistants`, { name: '' });
    expect(res.status).toBe(422);
    expect(res.headers).toMatchObject({
      'hx-retarget': '#new-assistant-form',
      'hx-reselect': '#new-assistant-form',
      'hx-reswap': 'outerHTML ignoreTitle:true',
      'hx-push-url': 'false',
    });
    expectFieldMessage(res.text, 'new-assistant-form', 'assistant-name', 'Give the assistant a name.');
    expect(await names(user.teamId)).toEqual([]);
  });

  it('rename: 422 with what was typed, the old name kept in the database', async () => {
    const { user, session, team } = await setUp();
    const assistant = await createAssistant(t.db, user.teamId, 'Original');
    const long = 'L'.repeat(101);
    const res = await postForm(session, `${team}/assistants/${assistant.id}/edit`, { name: long, description: 'new words' });
    expect(res.status).toBe(422);
    expectFieldMessage(res.text, 'rename-form', 'assistant-name', 'Keep the name under 100 characters.');
    expect(tagOf(res.text, 'assistant-name')).toContain(`value="${long}"`);
    expect(tagOf(res.text, 'assistant-description')).toContain('value="new words"');
    expect(await names(user.teamId)).toEqual([{ name: 'Original', description: '' }]);
    const asJson = await json(session, `${team}/assistants/${assistant.id}/edit`, { name: '' });
    expect(asJson.body.fields).toEqual({ name: 'Give the assistant a name.' });
  });
});

describe('the API key form on the Integrations page', () => {
  const keys = (teamId: number) => t.db.withOwner((tx) => tx.query('SELECT id FROM api_key_connections WHERE team_id = $1', [teamId]));

  it('shows both messages beside their fields in that integration’s form only, keeps the label, never the key', async () => {
    const { user, session, team } = await setUp();
    const res = await postForm(session, `${team}/integrations/tavily/api-keys`, { label: '', key: 'sk-typed secret' });
    expect(res.status).toBe(422);
    expectFieldMessage(res.text, 'add-key-tavily', 'key-label-tavily', 'Give the key a label, e.g. "Production key".');
    expectFieldMessage(res.text, 'add-key-tavily', 'key-value-tavily', 'An API key has no spaces in it: paste only the key.');
    expect(res.text).not.toContain('sk-typed');
    expect(tagOf(res.text, 'key-value-tavily')).not.toContain('value=');
    // The other integrations' forms are as they were.
    expect(tagOf(res.text, 'key-label-github')).not.toContain('aria-invalid');
    expect(res.text).not.toContain('id="add-key-github-errors"');
    expect(await keys(user.teamId)).toEqual([]);

    const labelKept = await postForm(session, `${team}/integrations/tavily/api-keys`, { label: 'Production', key: 'short' });
    expectFieldMessage(labelKept.text, 'add-key-tavily', 'key-value-tavily', 'That API key is too short: paste the whole key.');
    expect(tagOf(labelKept.text, 'key-label-tavily')).toContain('value="Production"');
    expect(tagOf(labelKept.text, 'key-label-tavily')).not.toContain('aria-invalid');

    const asJson = await json(session, `${team}/integrations/tavily/api-keys`, { label: 'x', key: 'abc' });
    expect(asJson.status).toBe(400);
    expect(asJson.body).toEqual({
      error: 'bad_request',
      message: 'That API key is too short: paste the whole key.',
      fields: { key: 'That API key is too short: paste the whole key.' },
    });
    expect(await keys(user.teamId)).toEqual([]);
  });
});

describe('the forms on an assistant’s page', () => {
  const tokens = (assistantId: number) =>
    t.db.withOwner((tx) => tx.query<{ name: string }>('SELECT name FROM assistant_tokens WHERE assistant_id = $1', [assistantId]));

  it('MCP token: a blank or taken name gets the page again with the message beside the name', async () => {
    const { user, session, team } = await setUp();
    const assistant = await createAssistant(t.db, user.teamId, 'Helper');
    const url = `${team}/assistant/${assistant.id}/mcp/tokens`;
    const blank = await postForm(session, url, { name: ' ' });
    expect(blank.status).toBe(422);
    expectFieldMessage(blank.text, 'token-form', 'token-name', 'Give the token a name, e.g. "Claude Desktop on Ana\'s laptop".');
    expect(await tokens(assistant.id)).toEqual([]);

    expect((await postForm(session, url, { name: 'Laptop' })).status).toBe(201);
    const taken = await postForm(session, url, { name: 'Laptop' });
    expect(taken.status).toBe(422);
    expectFieldMessage(
      taken.text,
      'token-form',
      'token-name',
      'Helper already has a token named "Laptop". Choose another name or revoke that one first.',
    );
    expect(tagOf(taken.text, 'token-name')).toContain('value="Laptop"');
    expect(await tokens(assistant.id)).toEqual([{ name: 'Laptop' }]);
    expect((await json(session, url, { name: '' })).body.fields).toEqual({
      name: 'Give the token a name, e.g. "Claude Desktop on Ana\'s laptop".',
    });
  });

  it('connection picker: a connection that cannot be used gets the picker with the message beside the choices', async () => {
    const { user, session, team } = await setUp();
    const assistant = await createAssistant(t.db, user.teamId, 'Helper');
    const gmail = await integrationId(t.db, 'gmail');
    const working = await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'ops@acme.test' });
    const url = `${team}/assistant/${assistant.id}/integrations/add/${gmail}`;
    const none = await postForm(session, url, {});
    expect(none.status).toBe(422);
    expectFieldMessage(none.text, 'picker-form', 'picker-connections', 'Choose which connection Gmail should use.');
    const malformed = await postForm(session, url, { connection: 'gmail-please' });
    expect(malformed.status).toBe(422);
    expectFieldMessage(malformed.text, 'picker-form', 'picker-connections', 'connection must be api:<id> or oauth2:<id>.');
    const malformedJson = await json(session, url, { connection: 'gmail-please' });
    expect(malformedJson.status).toBe(400);
    expect(malformedJson.body.fields).toEqual({ connection: 'connection must be api:<id> or oauth2:<id>.' });
    expect(await assistantIntegrations(t.db, assistant.id)).toEqual([]);
    // The working account is still offered, so the person can pick it.
    expect(none.text).toContain(`value="oauth2:${working}"`);
  });
});

describe('Move all to', () => {
  it('a connection that cannot take them gets the page again with the message beside the choice, nothing moved', async () => {
    const { user, session, team } = await setUp();
    const oldKey = await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Old Tavily');
    await createApiKeyConnection(t.db, user.teamId, 'tavily', 'New Tavily');
    const assistant = await createAssistant(t.db, user.teamId, 'Researcher');
    await t.db.withOwner((tx) =>
      tx.query(
        "INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id) VALUES ($1, $2, (SELECT id FROM integrations WHERE slug = 'tavily'), $3)",
        [user.teamId, assistant.id, oldKey],
      ),
    );
    const url = `${team}/integrations/used-by/api-key/${oldKey}/move`;
    const same = await postForm(session, url, { to: `api:${oldKey}` });
    expect(same.status).toBe(422);
    expectFieldMessage(
      same.text,
      'move-form',
      'move-to',
      'The assistants already use Old Tavily. Choose another Tavily Search connection to move them to.',
    );
    const garbage = await postForm(session, url, { to: 'elsewhere' });
    expect(garbage.status).toBe(422);
    expectFieldMessage(garbage.text, 'move-form', 'move-to', 'The connection to move to must be api:<id> or oauth2:<id>.');
    expect((await json(session, url, { to: '' })).body).toEqual({
      error: 'bad_request',
      message: 'Choose the connection to move the assistants to.',
      fields: { to: 'Choose the connection to move the assistants to.' },
    });
    expect((await assistantIntegrations(t.db, assistant.id)).map((r) => r.api_connection_id)).toEqual([oldKey]);
  });
});

describe('input errors outside forms', () => {
  it('a bad id in the address stays the error page (400); JSON names the query field', async () => {
    const { user, session, team } = await setUp();
    const page = await postForm(session, `${team}/assistants/abc/edit`, { name: 'Fine' });
    expect(page.status).toBe(400);
    expect(page.text).toContain('&#34;assistant id&#34; must be a positive whole number.');
    const assistant = await createAssistant(t.db, user.teamId);
    const filter = await session.agent
      .get(`${team}/assistant/${assistant.id}/integrations?q=${'x'.repeat(101)}`)
      .set('Accept', 'application/json');
    expect(filter.status).toBe(400);
    expect(filter.body).toEqual({
      error: 'bad_request',
      message: 'Keep the filter under 100 characters.',
      fields: { q: 'Keep the filter under 100 characters.' },
    });
  });
});
