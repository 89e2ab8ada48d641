import {
  createAssistant,
  createUser,
  decodeEntities,
  makeTestApp,
  signIn,
  type SignedIn,
  type TestApp,
  type TestUser,
} from '../helpers/app';
import { addToAssistant, createApiKeyConnection, createOAuth2Connection } from '../helpers/fixtures';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

/** The integrations listed on an assistant's page, in order. */
const rowsOf = (html: string) => [...html.matchAll(/\bid="integration-(?!list")([a-z0-9_]+)"/g)].map((m) => m[1]);

interface AssistantSetup {
  user: TestUser;
  session: SignedIn;
  page: string;
}

/** Gmail added with an account, the Calculator added, a Tavily key not yet used: every status is there. */
async function assistantPage(): Promise<AssistantSetup> {
  const user = await createUser(t.db);
  const assistant = await createAssistant(t.db, user.teamId, 'Filter Bot');
  const gmail = await createOAuth2Connection(t.db, user.teamId, 'gmail', { identity: 'ops@acme.test' });
  await createApiKeyConnection(t.db, user.teamId, 'tavily', 'Research key');
  await addToAssistant(t.db, user.teamId, assistant.id, 'gmail', { oauth2: gmail });
  await addToAssistant(t.db, user.teamId, assistant.id, 'calculator');
  return { user, session: await signIn(t.app, user), page: `/app/team/${user.teamId}/assistant/${assistant.id}/integrations` };
}

describe("an assistant's integrations, filtered with the GET form (JavaScript off)", () => {
  let s: AssistantSetup;
  beforeAll(async () => {
    s = await assistantPage();
  });
  const rows = async (query: string) => {
    const res = await s.session.agent.get(`${s.page}?${query}`);
    expect([query, res.status]).toEqual([query, 200]);
    return rowsOf(res.text);
  };

  it('lists everything with an empty filter, as the form sends it', async () => {
    expect(await rows('q=&status=&auth=&category=')).toHaveLength(11);
  });

  it('filters by status: added (with lost ones), available, needs attention', async () => {
    expect(await rows('status=added')).toEqual(['gmail', 'calculator']);
    expect(await rows('status=available')).toEqual(['tavily', 'web_browser']);
    expect(await rows('status=needs_attention')).toEqual([
      'googledocs',
      'googlesheets',
      'google_drive',
      'googlecalendar',
      'github',
      'notion',
      'linear',
    ]);
  });

  it('filters by auth kind: an integration taking either kind is under both', async () => {
    expect(await rows('auth=api_key')).toEqual(['github', 'linear', 'tavily']);
    expect(await rows('auth=none')).toEqual(['web_browser', 'calculator']);
    expect(await rows('auth=oauth2')).toEqual([
      'gmail',
      'googledocs',
      'googlesheets',
      'google_drive',
      'googlecalendar',
      'github',
      'notion',
      'linear',
    ]);
  });

  it('filters by category, whatever its case', async () => {
    expect(await rows('category=Built-in')).toEqual(['web_browser', 'calculator']);
    expect(await rows('category=documents')).toEqual(['googledocs', 'googlesheets', 'google_drive']);
  });

  it('combines filters', async () => {
    expect(await rows('status=needs_attention&auth=api_key')).toEqual(['github', 'linear']);
    expect(await rows('status=available&auth=api_key&category=Research')).toEqual(['tavily']);
    expect(await rows('q=google&category=Documents&status=needs_attention')).toEqual(['googledocs', 'googlesheets', 'google_drive']);
  });

  it('searches names, descriptions, categories, auth kinds and status words, every word in any order', async () => {
    expect(await rows('q=gmail')).toEqual(['gmail']);
    expect(await rows('q=mailbox')).toEqual(['gmail']); // the description
    expect(await rows('q=research')).toEqual(['tavily']); // the category
    expect(await rows('q=api+key')).toEqual(['github', 'linear', 'tavily']);
    expect(await rows('q=key+API')).toEqual(['github', 'linear', 'tavily']);
    expect(await rows('q=OAuth')).toEqual(await rows('auth=oauth2'));
    expect(await rows('q=available')).toEqual(['tavily', 'web_browser']);
    expect(await rows('q=built-in')).toEqual(['web_browser', 'calculator']);
  });

  it('says plainly when nothing matches, naming the filter, with a way to clear it', async () => {
    const res = await s.session.agent.get(`${s.page}?q=zzzz&status=added&auth=api_key`);
    expect(res.status).toBe(200);
    expect(rowsOf(res.text)).toEqual([]);
    expect(decodeEntities(res.text)).toContain('No integration matches “zzzz”, status Added, API key.');
    expect(res.text).toContain(`<a href="${s.page}">Clear filters and show all 11</a>`);
    expect(res.text).toContain('Showing 0 of 11 integrations.');
    expect(await rows('category=No+such+category')).toEqual([]);
  });

  it('keeps the chosen filter in the form', async () => {
    const res = await s.session.agent.get(`${s.page}?q=goo&status=needs_attention&auth=oauth2&category=Documents`);
    expect(res.text).toMatch(/<input id="filter-q" name="q" type="search"[^>]* value="goo"/);
    expect(res.text).toMatch(/name="status" value="needs_attention" checked/);
    expect(res.text).toMatch(/name="auth" value="oauth2" checked/);
    expect(res.text).toMatch(/name="category" value="Documents" checked/);
  });

  it('offers each category as a chip, All first, with the values ?category= takes', async () => {
    const chips = (html: string) =>
      [...html.matchAll(/<input class="filter-choice" type="radio" name="category" value="([^"]*)"( checked)?><span>([^<]*)<\/span>/g)].map(
        (m) => `${m[3]}=${m[1]}${m[2] ? ' (checked)' : ''}`,
      );
    const all = await s.session.agent.get(s.page);
    expect(chips(all.text)).toEqual([
      'All= (checked)',
      'Required=Required',
      'Documents=Documents',
      'Scheduling=Scheduling',
      'Development=Development',
      'Productivity=Productivity',
      'Research=Research',
      'Built-in=Built-in',
    ]);
    expect(all.text).not.toContain('<select');
    // The chosen one is checked whatever its case; one the catalog does not have checks none.
    expect(chips((await s.session.agent.get(`${s.page}?category=built-in&status=added`)).text)).toContain('Built-in=Built-in (checked)');
    expect(chips((await s.session.agent.get(`${s.page}?category=Nope`)).text).filter((c) => c.endsWith('(checked)'))).toEqual([]);
  });

  it('answers unknown statuses and auth kinds with a 400 that names the known ones, never a 500', async () => {
    const cases: [string, string][] = [
      ['status=bogus', 'status must be one of "added", "available", "needs_attention", or empty for all.'],
      ['auth=password', 'auth must be one of "oauth2", "api_key", "none", or empty for all.'],
      ['status=added&status=available', 'status must be one of'],
      ['category=a&category=b', 'category must be one piece of text.'],
      [`q=${'x'.repeat(101)}`, 'Keep the filter under 100 characters.'],
      [`category=${'x'.repeat(101)}`, 'Keep the category under 100 characters.'],
    ];
    for (const [query, message] of cases) {
      const res = await s.session.agent.get(`${s.page}?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect(decodeEntities(res.text)).toContain(message);
    }
  });

  it('links to each category heading on the page', async () => {
    const res = await s.session.agent.get(`${s.page}?auth=none`);
    expect(res.text).toContain('<a href="#cat-Built-in">Built-in</a>');
    expect(res.text).toContain('<h2 id="cat-Built-in">Built-in</h2>');
    expect(res.text).not.toContain('href="#cat-Documents"');
  });
});

describe("an assistant's integrations, filtered live (htmx) and as JSON", () => {
  it('answers the filter form with only the list and the count', async () => {
    const s = await assistantPage();
    const res = await s.session.agent.get(`${s.page}?status=added`).set('HX-Request', 'true').set('HX-Target', 'integration-list');
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<html');
    expect(res.text).toMatch(/^\s*<p id="filter-count" hx-swap-oob="innerHTML">\s*Showing 2 of 11 integrations\./);
    expect(res.text).toContain('<div id="integration-list">');
    expect(rowsOf(res.text)).toEqual(['gmail', 'calculator']);
  });

  it('lists every integration in the documented shape to JSON clients, whatever the filter', async () => {
    const s = await assistantPage();
    const all = await s.session.agent.get(s.page).set('Accept', 'application/json');
    for (const query of ['status=added&auth=none', 'status=bogus', 'category=Nope']) {
      const res = await s.session.agent.get(`${s.page}?${query}`).set('Accept', 'application/json');
      expect([query, res.status]).toEqual([query, 200]);
      expect(res.body).toEqual(all.body);
    }
    expect(all.body.integrations).toHaveLength(11);
  });
});

/** The team page's OAuth2 providers and API-key panels, in order. */
const teamRowsOf = (html: string) => ({
  providers: [...html.matchAll(/\bid="provider-([a-z0-9_]+)"/g)].map((m) => m[1]),
  keys: [...html.matchAll(/\bid="api-keys-(?!heading")([a-z0-9_]+)"/g)].map((m) => m[1]),
});

describe('the team Integrations page, filtered', () => {
  let session: SignedIn;
  let page: string;
  let teamId: number;
  beforeAll(async () => {
    const user = await createUser(t.db);
    teamId = user.teamId;
    page = `/app/team/${teamId}/integrations`;
    await createOAuth2Connection(t.db, teamId, 'gmail', { identity: 'team@acme.test' });
    await createOAuth2Connection(t.db, teamId, 'github', { enabled: false, identity: 'acme-org' });
    await createOAuth2Connection(t.db, teamId, 'googlecalendar', { status: 'EXPIRED' });
    await createApiKeyConnection(t.db, teamId, 'tavily', 'Research key');
    session = await signIn(t.app, user);
  });
  const rows = async (query: string) => {
    const res = await session.agent.get(`${page}?${query}`);
    expect([query, res.status]).toEqual([query, 200]);
    return teamRowsOf(res.text);
  };

  it('lists every provider and API-key integration with an empty filter', async () => {
    expect(await rows('q=&status=&auth=&category=')).toEqual({
      providers: ['gmail', 'googledocs', 'googlesheets', 'google_drive', 'googlecalendar', 'github', 'notion', 'linear'],
      keys: ['github', 'linear', 'tavily'],
    });
  });

  it('filters by status; an API-key integration is connected once it has a key', async () => {
    expect(await rows('status=connected')).toEqual({ providers: ['gmail'], keys: ['tavily'] });
    expect(await rows('status=disabled')).toEqual({ providers: ['github'], keys: [] });
    expect(await rows('status=needs_reconnect')).toEqual({ providers: ['googlecalendar'], keys: [] });
    expect(await rows('status=not_connected')).toEqual({
      providers: ['googledocs', 'googlesheets', 'google_drive', 'notion', 'linear'],
      keys: ['github', 'linear'],
    });
  });

  it('filters by auth kind (OAuth2 providers or API keys), category, and both with a search', async () => {
    const oauth = await rows('auth=oauth2');
    expect(oauth.providers).toHaveLength(8);
    expect(oauth.keys).toEqual([]);
    expect(await rows('auth=api_key')).toEqual({ providers: [], keys: ['github', 'linear', 'tavily'] });
    expect(await rows('category=development')).toEqual({ providers: ['github'], keys: ['github'] });
    expect(await rows('category=Productivity&auth=api_key&status=not_connected')).toEqual({ providers: [], keys: ['linear'] });
    expect(await rows('q=google+not+connected')).toEqual({ providers: ['googledocs', 'googlesheets', 'google_drive'], keys: [] });
  });

  it('searches names, descriptions, auth kinds and status words', async () => {
    expect(await rows('q=tavily')).toEqual({ providers: [], keys: ['tavily'] });
    expect(await rows('q=api+key')).toEqual({ providers: [], keys: ['github', 'linear', 'tavily'] });
    expect((await rows('q=oauth')).providers).toHaveLength(8);
    expect(await rows('q=reconnect')).toEqual({ providers: ['googlecalendar'], keys: [] });
    expect(await rows('q=team@acme')).toEqual({ providers: ['gmail'], keys: [] });
  });

  it('says when nothing matches, with a way to clear the filter, and drops the API keys heading with no keys listed', async () => {
    const res = await session.agent.get(`${page}?q=nothing-like-this&auth=oauth2`);
    expect(teamRowsOf(res.text)).toEqual({ providers: [], keys: [] });
    expect(decodeEntities(res.text)).toContain('No integration matches “nothing-like-this”, OAuth2.');
    expect(res.text).toContain(`<a href="${page}">Clear filters and show all 11</a>`);
    expect((await session.agent.get(`${page}?auth=oauth2`)).text).not.toContain('id="api-keys-heading"');
  });

  it('answers statuses of the other page and unknown auth kinds with a 400 in words', async () => {
    for (const [query, message] of [
      ['status=added', 'status must be one of "connected", "not_connected", "needs_reconnect", "disabled", or empty for all.'],
      ['auth=none', 'auth must be one of "oauth2", "api_key", or empty for all.'],
      ['q=a&q=b', 'filter must be one piece of text.'],
    ]) {
      const res = await session.agent.get(`${page}?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect(decodeEntities(res.text)).toContain(message);
    }
  });

  it('answers the filter form (htmx) with only the list and the count, and JSON with everything, as before', async () => {
    const fragment = await session.agent.get(`${page}?status=connected`).set('HX-Request', 'true').set('HX-Target', 'integration-list');
    expect(fragment.text).not.toContain('<html');
    expect(fragment.text).toContain('Showing 2 of 11 integrations.');
    expect(teamRowsOf(fragment.text)).toEqual({ providers: ['gmail'], keys: ['tavily'] });
    const all = await session.agent.get(`/api/teams/${teamId}/integrations`);
    const filtered = await session.agent.get(`/api/teams/${teamId}/integrations?status=connected&auth=bogus`);
    expect(filtered.status).toBe(200);
    expect(filtered.body).toEqual(all.body);
    expect(all.body.providers).toHaveLength(8);
    const json = await session.agent.get(`${page}?status=bogus`).set('Accept', 'application/json');
    expect(json.body).toEqual(all.body);
  });

  it('links to each category heading and to the API keys', async () => {
    const res = await session.agent.get(page);
    expect(res.text).toContain('<a href="#pcat-Required">Required</a>');
    expect(res.text).toContain('<h2 id="pcat-Required">Required</h2>');
    expect(res.text).toContain('<a href="#api-keys-heading">API keys</a>');
  });
});
