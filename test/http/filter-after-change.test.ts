import {
  createAssistant,
  createUser,
  decodeEntities,
  flashText,
  makeTestApp,
  postForm,
  signIn,
  type SignedIn,
  type TestApp,
  type TestUser,
} from '../helpers/app';
import { addToAssistant, assistantIntegrations, createApiKeyConnection, createOAuth2Connection, integrationId } from '../helpers/fixtures';

/**
 * A change made in a filtered list goes back to that list: the row forms (and the pages between a
 * form and its change: the picker, the confirmations) carry ?q=&status=&auth=&category= and the
 * redirect keeps it, landing at the row. Bad parts are dropped, and forms posted without a filter
 * (older clients) go back to the page as before.
 */
let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

/** The action of the form whose submit button reads `button` (entities decoded). */
function actionOf(html: string, button: string): string {
  const forms = [...html.matchAll(/<form method="(?:post|get)" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find((m) => decodeEntities(m[2]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')).includes(button));
  if (!form) throw new Error(`no form with a button "${button}"`);
  return decodeEntities(form[1]!);
}

interface AssistantSetup {
  user: TestUser;
  session: SignedIn;
  page: string;
  assistantId: number;
}

/** Gmail (with an account) and the Calculator added; the Web Browser not. */
async function assistantSetup(): Promise<AssistantSetup> {
  const user = await createUser(t.db);
  const assistant = await createAssistant(t.db, user.teamId, 'Carry Bot');
  const gmail = await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'ops@acme.test' });
  await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'sales@acme.test' });
  await addToAssistant(t.db, user.teamId, assistant.id, 'gmail', { oauth2: gmail });
  await addToAssistant(t.db, user.teamId, assistant.id, 'calculator');
  return {
    user,
    session: await signIn(t.app, user),
    page: `/app/team/${user.teamId}/assistant/${assistant.id}/integrations`,
    assistantId: assistant.id,
  };
}

describe("a change on an assistant's filtered integrations goes back to the same list", () => {
  let s: AssistantSetup;
  let calculator: number;
  let webBrowser: number;
  let gmail: number;
  beforeAll(async () => {
    s = await assistantSetup();
    [calculator, webBrowser, gmail] = [
      await integrationId(t.db, 'calculator'),
      await integrationId(t.db, 'web_browser'),
      await integrationId(t.db, 'gmail'),
    ];
  });

  it('puts the filter in the action of each row form, also in the list htmx swaps in', async () => {
    const page = await s.session.agent.get(`${s.page}?q=calc&status=added&auth=none&category=Built-in`);
    expect(actionOf(page.text, 'Remove Calculator')).toBe(`${s.page}/remove/${calculator}?q=calc&status=added&auth=none&category=Built-in`);
    const fragment = await s.session.agent
      .get(`${s.page}?status=available&category=built-in`)
      .set('HX-Request', 'true')
      .set('HX-Target', 'integration-list');
    expect(fragment.text).not.toContain('<html');
    expect(actionOf(fragment.text, 'Add Web page reader')).toBe(`${s.page}/add/${webBrowser}?status=available&category=built-in`);
    // Without a filter the actions are the plain ones, as before.
    const plain = await s.session.agent.get(s.page);
    expect(actionOf(plain.text, 'Remove Calculator')).toBe(`${s.page}/remove/${calculator}`);
  });

  it('adds and removes, then lands at the row of the filtered list (JavaScript off)', async () => {
    const added = await postForm(s.session, `${s.page}/add/${webBrowser}?status=available&category=Built-in`);
    expect(added.status).toBe(303);
    expect(added.headers.location).toBe(`${s.page}?status=available&category=Built-in#integration-web_browser`);
    const removed = await postForm(s.session, `${s.page}/remove/${webBrowser}?q=web+page&auth=none`);
    expect(removed.headers.location).toBe(`${s.page}?q=web+page&auth=none#integration-web_browser`);
    const back = await s.session.agent.get(removed.headers.location!.replace(/#.*/, ''));
    expect(flashText(back.text).join(' ')).toContain('Removed Web page reader from Carry Bot.');
    expect(back.text).toMatch(/<input id="filter-q" name="q" type="search"[^>]* value="web page"/);
  });

  it('drops a bad part of the filter, and still makes the change: never a 400 or 500', async () => {
    const res = await postForm(
      s.session,
      `${s.page}/add/${webBrowser}?status=bogus&auth=password&category=a&category=b&q=${'x'.repeat(101)}`,
    );
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${s.page}#integration-web_browser`);
    const half = await postForm(s.session, `${s.page}/remove/${webBrowser}?status=nope&q=web`);
    expect(half.headers.location).toBe(`${s.page}?q=web#integration-web_browser`);
    expect((await assistantIntegrations(t.db, s.assistantId)).map((row) => row.integration_id).sort()).toEqual([gmail, calculator].sort());
  });

  it('answers a form posted without a filter exactly as before', async () => {
    const res = await postForm(s.session, `${s.page}/add/${webBrowser}`);
    expect(res.headers.location).toBe(`${s.page}#integration-web_browser`);
    const json = await s.session.agent
      .post(`${s.page}/remove/${webBrowser}?status=added`)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', s.session.csrf);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ success: true, removed: true });
  });

  it('carries the filter through the connection picker: opened with it, its search keeps it, Add and Cancel go back to it', async () => {
    const page = await s.session.agent.get(`${s.page}?q=mail&status=added`);
    expect(page.text).toMatch(
      new RegExp(
        `<form method="get" action="${s.page}/add/${gmail}"[^>]*>\\s*<input type="hidden" name="filter" value="q=mail&amp;status=added">`,
      ),
    );
    const picker = await s.session.agent.get(`${s.page}/add/${gmail}?filter=${encodeURIComponent('q=mail&status=added')}`);
    expect(picker.status).toBe(200);
    expect(actionOf(picker.text, 'Use this connection')).toBe(`${s.page}/add/${gmail}?q=mail&status=added`);
    expect(decodeEntities(picker.text)).toContain(`href="${s.page}?q=mail&status=added#integration-gmail"`);
    // The picker's own search (?q= is a connection there) keeps the list's filter apart.
    const searched = await s.session.agent.get(`${s.page}/add/${gmail}?q=sales&filter=${encodeURIComponent('q=mail&status=added')}`);
    expect(searched.text).toMatch(/<input id="picker-q" name="q" type="search" value="sales"/);
    expect(searched.text).toContain('<input type="hidden" name="filter" value="q=mail&amp;status=added">');
    const sales = /value="(oauth2:\d+)"[^>]*>\s*<span><strong>sales@acme\.test/.exec(searched.text)![1]!;
    const changed = await postForm(s.session, `${s.page}/add/${gmail}?q=mail&status=added`, { connection: sales });
    expect(changed.status).toBe(303);
    expect(changed.headers.location).toBe(`${s.page}?q=mail&status=added#integration-gmail`);
    // A filter that is not one: dropped, the picker still opens.
    const bad = await s.session.agent.get(`${s.page}/add/${gmail}?filter=status%3Dbogus%26q%3Dmail&filter=again`);
    expect(bad.status).toBe(200);
    expect(actionOf(bad.text, 'Use this connection')).toBe(`${s.page}/add/${gmail}`);
  });

  it('shows a refused picker choice with the filter still on its way back', async () => {
    const res = await postForm(s.session, `${s.page}/add/${gmail}?status=added`, { connection: 'api:999999' });
    expect(res.status).toBe(422);
    expect(actionOf(res.text, 'Use this connection')).toBe(`${s.page}/add/${gmail}?status=added`);
  });
});

describe('a change on the filtered team Integrations page goes back to the same list', () => {
  let session: SignedIn;
  let page: string;
  let teamId: number;
  beforeAll(async () => {
    const user = await createUser(t.db);
    teamId = user.teamId;
    page = `/app/team/${teamId}/integrations`;
    await createOAuth2Connection(t.db, teamId, 'gmail', { identity: 'team@acme.test' });
    await createOAuth2Connection(t.db, teamId, 'github', { identity: 'acme-org' });
    session = await signIn(t.app, user);
  });

  it('puts the filter in each row form and link, also in the list htmx swaps in', async () => {
    const key = await createApiKeyConnection(t.db, teamId, 'tavily', 'Carry key');
    const res = await session.agent.get(`${page}?status=connected&q=a`);
    expect(actionOf(res.text, 'Enabled for assistants: Gmail')).toBe(`${page}/gmail/toggle?q=a&status=connected`);
    expect(decodeEntities(res.text)).toContain(`href="${page}/gmail/revoke?q=a&status=connected"`);
    expect(actionOf(res.text, 'Add Tavily Search key')).toBe(`${page}/tavily/api-keys?q=a&status=connected`);
    expect(decodeEntities(res.text)).toContain(`href="${page}/api-keys/${key}/delete?q=a&status=connected"`);
    const fragment = await session.agent.get(`${page}?auth=oauth2`).set('HX-Request', 'true').set('HX-Target', 'integration-list');
    expect(fragment.text).not.toContain('<html');
    expect(actionOf(fragment.text, 'Enabled for assistants: GitHub')).toBe(`${page}/github/toggle?auth=oauth2`);
  });

  it('toggles and lands at the provider in the filtered list; a legacy form goes back as before', async () => {
    const off = await postForm(session, `${page}/github/toggle?status=connected&category=Development`, { enabled: 'false' });
    expect(off.status).toBe(303);
    expect(off.headers.location).toBe(`${page}?status=connected&category=Development#provider-github`);
    const on = await postForm(session, `${page}/github/toggle`, { enabled: 'true' });
    expect(on.headers.location).toBe(`${page}#provider-github`);
    const bad = await postForm(session, `${page}/github/toggle?status=added&auth=none&q=git`, { enabled: 'true' });
    expect(bad.headers.location).toBe(`${page}?q=git#provider-github`);
  });

  it('keeps the filter through the confirmation of a disable that takes a connection from assistants', async () => {
    const assistant = await createAssistant(t.db, teamId, 'Mail Bot');
    const gmail = await t.db.withOwner((tx) =>
      tx.one<{ id: number }>("SELECT id FROM oauth2_connections WHERE team_id = $1 AND composio_toolkit = 'gmail'", [teamId]),
    );
    await addToAssistant(t.db, teamId, assistant.id, 'gmail', { oauth2: gmail.id });
    const asked = await postForm(session, `${page}/gmail/toggle?q=mail`, { enabled: 'false' });
    expect(asked.status).toBe(303);
    expect(asked.headers.location).toBe(`${page}/gmail/disable?q=mail`);
    const confirmation = await session.agent.get(asked.headers.location!);
    expect(actionOf(confirmation.text, 'Disable Gmail')).toBe(`${page}/gmail/toggle?q=mail`);
    expect(decodeEntities(confirmation.text)).toContain(`href="${page}?q=mail#provider-gmail"`);
    const disabled = await postForm(session, `${page}/gmail/toggle?q=mail`, { enabled: 'false', confirm: 'yes' });
    expect(disabled.headers.location).toBe(`${page}?q=mail#provider-gmail`);
    await postForm(session, `${page}/gmail/toggle`, { enabled: 'true' });
  });

  it('adds and deletes an API key, back at its panel in the filtered list; a refused key shows the filtered list', async () => {
    const added = await postForm(session, `${page}/linear/api-keys?auth=api_key`, { label: 'Linear carry', key: 'lin_0123456789abcdef' });
    expect(added.status).toBe(303);
    expect(added.headers.location).toBe(`${page}?auth=api_key#api-keys-linear`);
    const key = await t.db.withOwner((tx) =>
      tx.one<{ id: number }>("SELECT id FROM api_key_connections WHERE team_id = $1 AND label = 'Linear carry'", [teamId]),
    );
    const confirmation = await session.agent.get(`${page}/api-keys/${key.id}/delete?auth=api_key&status=bogus`);
    expect(confirmation.status).toBe(200);
    expect(actionOf(confirmation.text, 'Delete Linear carry')).toBe(`${page}/api-keys/${key.id}/delete?auth=api_key`);
    expect(decodeEntities(confirmation.text)).toContain(`href="${page}?auth=api_key#api-keys-linear"`);
    const deleted = await postForm(session, `${page}/api-keys/${key.id}/delete?auth=api_key`);
    expect(deleted.headers.location).toBe(`${page}?auth=api_key#api-keys-linear`);

    const refused = await postForm(session, `${page}/linear/api-keys?auth=api_key&status=bogus`, {
      label: '',
      key: 'lin_0123456789abcdef',
    });
    expect(refused.status).toBe(422);
    expect(refused.text).not.toContain('id="provider-gmail"'); // still only the API keys
    expect(refused.text).toContain('id="api-keys-linear"');
    expect(actionOf(refused.text, 'Add Linear key')).toBe(`${page}/linear/api-keys?auth=api_key`);
  });

  it('keeps the filter through the revoke confirmation, and back when Composio is not there to revoke', async () => {
    const confirmation = await session.agent.get(`${page}/github/revoke?category=Development`);
    expect(actionOf(confirmation.text, 'Revoke GitHub')).toBe(`${page}/github/revoke?category=Development`);
    expect(decodeEntities(confirmation.text)).toContain(`href="${page}?category=Development#provider-github"`);
    const res = await postForm(session, `${page}/github/revoke?category=Development`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${page}?category=Development`);
  });
});
