import {
  createAssistant,
  createUser,
  decodeEntities,
  flashText,
  makeTestApp,
  signIn,
  type SignedIn,
  type TestApp,
  type TestUser,
} from '../helpers/app';
import { startAppWithFakeComposio } from '../helpers/composio-app';
import { createApiKeyConnection, integrationId } from '../helpers/fixtures';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp(); // Composio not configured
});
afterAll(() => t.close());

interface Setup {
  user: TestUser;
  session: SignedIn;
  team: string;
  assistantPage: string;
}

async function setUp(role: 'admin' | 'member' = 'admin', app = t): Promise<Setup> {
  const user = await createUser(app.db, { role });
  const assistant = await createAssistant(app.db, user.teamId, 'Research Bot');
  return {
    user,
    session: await signIn(app.app, user),
    team: `/app/team/${user.teamId}/integrations`,
    assistantPage: `/app/team/${user.teamId}/assistant/${assistant.id}/integrations`,
  };
}

/** The "How to connect" link of an integration's row on the assistant's page, decoded. */
async function howToConnect(s: Setup, slug: string): Promise<string> {
  const html = (await s.session.agent.get(s.assistantPage)).text;
  const row = html.split(`id="integration-${slug}"`)[1]!.split('</li>')[0]!;
  return decodeEntities(/<a href="([^"]*)" id="why-/.exec(row)![1]!);
}

const addKey = (s: Setup, slug: string, fields: Record<string, string>) =>
  s.session.agent
    .post(`${s.team}/${slug}/api-keys`)
    .type('form')
    .send({ label: 'Tavily main', key: 'tvly-0123456789abcdef', ...fields, _csrf: s.session.csrf });

describe('"How to connect" an API-key integration from an assistant', () => {
  it("leads to that integration's add-key form on the team page, opened, carrying the way back", async () => {
    const s = await setUp();
    const link = await howToConnect(s, 'tavily');
    expect(link).toBe(`${s.team}?add_key=tavily&return_to=${encodeURIComponent(s.assistantPage)}#add-key-tavily`);
    const page = await s.session.agent.get(link.split('#')[0]!);
    expect(page.status).toBe(200);
    const panel = page.text.split('id="api-keys-tavily"')[1]!.split('</details>')[0]!;
    expect(panel).toContain('<details class="add-key" open>');
    expect(panel).toContain('id="add-key-tavily"');
    expect(panel).toContain(`<input type="hidden" name="return_to" value="${s.assistantPage}">`);
    // The other forms stay closed, and none of them carries the way back.
    expect(page.text.split('id="api-keys-github"')[1]!.split('</details>')[0]).toContain('<details class="add-key">');
    expect(page.text.match(/name="return_to"/g)).toHaveLength(1);
  });

  it('goes back to the assistant after saving, with the new key chosen in the picker (form and htmx)', async () => {
    const s = await setUp();
    const tavily = await integrationId(t.db, 'tavily');
    for (const htmx of [false, true]) {
      const req = s.session.agent.post(`${s.team}/tavily/api-keys`).type('form');
      if (htmx) req.set('HX-Request', 'true').set('HX-Boosted', 'true').set('X-CSRF-Token', s.session.csrf);
      const res = await req.send({ label: `Key ${htmx}`, key: 'tvly-0123456789abcdef', return_to: s.assistantPage, _csrf: s.session.csrf });
      expect(res.status).toBe(303);
      const key = await t.db.withOwner((tx) =>
        tx.one<{ id: number }>('SELECT id FROM api_key_connections WHERE team_id = $1 AND label = $2', [s.user.teamId, `Key ${htmx}`]),
      );
      expect(res.headers.location).toBe(`${s.assistantPage}/add/${tavily}?connection=api:${key.id}`);
      const picker = await s.session.agent.get(res.headers.location!);
      expect(picker.status).toBe(200);
      expect(flashText(picker.text)).toEqual([`Added the API key "Key ${htmx}" for Tavily Search.`]);
      expect(picker.text).toMatch(new RegExp(`value="api:${key.id}" required checked`));
      expect(picker.text.match(/ checked/g)).toHaveLength(1);
    }
  });

  it('keeps the way back when the key is refused: the form again, open, 422, nothing saved', async () => {
    const s = await setUp();
    const res = await addKey(s, 'tavily', { label: '', return_to: s.assistantPage });
    expect(res.status).toBe(422);
    const panel = res.text.split('id="api-keys-tavily"')[1]!.split('</details>')[0]!;
    expect(panel).toContain('<details class="add-key" open>');
    expect(panel).toContain(`<input type="hidden" name="return_to" value="${s.assistantPage}">`);
    expect(await t.db.withOwner((tx) => tx.query('SELECT 1 FROM api_key_connections WHERE team_id = $1', [s.user.teamId]))).toEqual([]);
  });

  it('lists the new key first, chosen, when the team has more keys than the picker shows', async () => {
    const s = await setUp();
    for (let i = 0; i < 55; i++) await createApiKeyConnection(t.db, s.user.teamId, 'tavily', `Aaa key ${String(i).padStart(2, '0')}`);
    const res = await addKey(s, 'tavily', { label: 'Zzz newest key', return_to: s.assistantPage });
    const picker = await s.session.agent.get(res.headers.location!);
    expect(picker.text).toContain('Showing 50 of 56.');
    const radios = [...picker.text.matchAll(/<input type="radio" name="connection" value="(api:\d+)" required ?( checked)?>/g)];
    expect(radios).toHaveLength(50);
    expect(radios[0]![2]).toBe(' checked');
    expect(picker.text.split('name="connection"')[1]).toContain('Zzz newest key');
  });

  it('ignores a way back that is not an assistant page of this team: saves the key and stays on the team page', async () => {
    const s = await setUp();
    const other = await setUp();
    const bad = [
      other.assistantPage, // another team's assistant
      `https://evil.example${s.assistantPage}`,
      '//evil.example/app',
      `//evil.example${s.assistantPage}`,
      'javascript:alert(1)',
      `${s.assistantPage}/../../../../evil`,
      `${s.assistantPage}?x=1`,
      `/\\evil.example`,
      s.team,
      `/app/team/${s.user.teamId}/assistant/99999999999/integrations`,
    ];
    for (const [i, returnTo] of bad.entries()) {
      const res = await addKey(s, 'tavily', { label: `Key ${i}`, return_to: returnTo });
      expect([returnTo, res.status, res.headers.location]).toEqual([returnTo, 303, `${s.team}#api-keys-tavily`]);
      const page = await s.session.agent.get(`${s.team}?add_key=tavily&return_to=${encodeURIComponent(returnTo)}`);
      expect([returnTo, page.status]).toEqual([returnTo, 200]);
      expect(page.text).not.toContain('name="return_to"');
    }
    const json = await s.session.agent
      .post(`${s.team}/tavily/api-keys`)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', s.session.csrf)
      .send({ label: 'JSON key', key: 'tvly-0123456789abcdef', return_to: s.assistantPage });
    expect(json.status).toBe(200);
    expect(json.body).toEqual({ success: true, message: 'Added the API key "JSON key" for Tavily Search.' });
  });

  it('sends members, who cannot add keys, to the integration’s keys on the team page', async () => {
    const s = await setUp('member');
    expect(await howToConnect(s, 'tavily')).toBe(`${s.team}#api-keys-tavily`);
  });

  it('without Composio, offers the key form for an integration that also takes keys; with it, the provider', async () => {
    const s = await setUp();
    expect(await howToConnect(s, 'github')).toBe(
      `${s.team}?add_key=github&return_to=${encodeURIComponent(s.assistantPage)}#add-key-github`,
    );
    expect(await howToConnect(s, 'notion')).toBe(`${s.team}#provider-notion`);
    const composio = await startAppWithFakeComposio();
    try {
      const c = await setUp('admin', composio.t);
      expect(await howToConnect(c, 'github')).toBe(`${c.team}#provider-github`);
      expect(await howToConnect(c, 'tavily')).toBe(
        `${c.team}?add_key=tavily&return_to=${encodeURIComponent(c.assistantPage)}#add-key-tavily`,
      );
      const steps = await c.session.agent.get(`${c.team}/notion/connect`);
      expect(steps.text).toContain('Open the Composio dashboard and choose Connected accounts.');
    } finally {
      await composio.close();
    }
  });
});

describe('the team page with Composio not configured', () => {
  it('shows members no server settings, and admins only a line to ask whoever runs it', async () => {
    const member = await setUp('member');
    const admin = await setUp('admin');
    for (const s of [member, admin]) {
      const page = await s.session.agent.get(s.team);
      expect(page.text).not.toContain('COMPOSIO_API_KEY');
      const howTo = await s.session.agent.get(`${s.team}/github/connect`);
      expect(howTo.text).not.toContain('Sync from Composio');
      expect(howTo.text).not.toContain('COMPOSIO_API_KEY');
    }
    expect((await admin.session.agent.get(admin.team)).text).toContain('ask whoever runs Switchboard to set up Composio (see its README)');
    expect((await member.session.agent.get(member.team)).text).not.toContain('README');
    const adminHowTo = await admin.session.agent.get(`${admin.team}/github/connect`);
    expect(adminHowTo.text).toContain(`href="${admin.team}?add_key=github#add-key-github"`);
  });

  it('shows no "synced" date for a provider that never had an account', async () => {
    const s = await setUp();
    await t.db.withOwner((tx) => tx.query('UPDATE teams SET last_synced_at = now() WHERE id = $1', [s.user.teamId]));
    const page = await s.session.agent.get(s.team);
    const notion = page.text.split('id="provider-notion"')[1]!.split('</li>')[0]!;
    expect(notion).toContain('Not connected');
    expect(notion).not.toMatch(/synced/i);
  });
});

describe('"Add key" on the team page', () => {
  it('is closed until asked for, and opened by ?add_key=', async () => {
    const s = await setUp();
    const closed = await s.session.agent.get(s.team);
    expect(closed.text.match(/<details class="add-key">/g)).toHaveLength(3);
    expect(closed.text).toContain('<summary>Add key<span class="visually-hidden"> for Tavily Search</span></summary>');
    const open = await s.session.agent.get(`${s.team}?add_key=linear`);
    expect(open.text.split('id="api-keys-linear"')[1]!.split('</details>')[0]).toContain('<details class="add-key" open>');
    expect(open.text.match(/<details class="add-key" open>/g)).toHaveLength(1);
    expect((await s.session.agent.get(`${s.team}?add_key=../../x`)).status).toBe(200); // a bad value opens nothing
  });
});
