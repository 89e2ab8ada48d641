import type { Page } from 'playwright-core';
import { createComposioGateway } from '../../server/composio/client';
import { demoAccounts, startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { createUser } from '../helpers/app';
import { createApiKeyConnection, integrationId, teamComposioUserId } from '../helpers/fixtures';
import { allViolations } from './axe';
import { newPage, screenshot, startApp, DEMO_PASSWORD, type Running } from './browser';
import { DEMO_EMAIL } from '../../server/seed';

/**
 * A person walks the whole product in demo mode (the demo banner on every page), signed in, with
 * JavaScript on, at desktop and at phone size, and does the everyday actions. Everything that
 * shows up in the console is a failure: errors, page errors, Content-Security-Policy violations;
 * and axe-core finds nothing at all on any page (every impact, not only serious). Then the same
 * pages and actions without JavaScript, where Chromium still reports CSP violations in the console.
 */
let running: Running;
let fake: FakeComposio;
let teamId: number;
let assistantId: number;
let gmailId: number;
let keyId: number;

beforeAll(async () => {
  fake = await startFakeComposio();
  running = await startApp({
    composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 5000 }),
    config: { DEMO_MODE: '1' },
  });
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
  assistantId = (
    await running.t.db.withOwner((tx) =>
      tx.one<{ id: number }>("SELECT id FROM assistants WHERE team_id = $1 AND name = 'Sales Assistant'", [teamId]),
    )
  ).id;
  gmailId = await integrationId(running.t.db, 'gmail');
  fake.setAccounts(demoAccounts(await teamComposioUserId(running.t.db, teamId)));
}, 60_000);
// The browser tests share one database and the demo team: leave it as it was found.
beforeEach(() => cleanUp());
afterAll(async () => {
  await cleanUp();
  await running.close();
  await fake.close();
});

async function cleanUp(): Promise<void> {
  await running.t.db.withOwner(async (tx) => {
    await tx.query('DELETE FROM assistant_integrations WHERE team_id = $1', [teamId]);
    await tx.query('DELETE FROM assistant_tokens WHERE team_id = $1', [teamId]);
    await tx.query('DELETE FROM api_key_connections WHERE team_id = $1', [teamId]);
    await tx.query('DELETE FROM oauth2_connections WHERE team_id = $1', [teamId]);
  });
}

interface Walker {
  page: Page;
  /** What went wrong so far, each prefixed with where it happened. */
  problems: string[];
  /** The problems, and the loads that failed other than 4xx answers the walk asked for. */
  findings(): string[];
  /** Runs axe-core on what is on screen now and records its findings. */
  check(label: string): Promise<void>;
}

async function startWalk(
  viewport: { width: number; height: number },
  javaScriptEnabled = true,
): Promise<Walker & { close(): Promise<void> }> {
  const { context, page } = await newPage(running, { javaScriptEnabled });
  await page.setViewportSize(viewport);
  // Runs before the page's own scripts and outside its CSP; a violation becomes a console error.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(
        `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`,
      );
    });
  });
  const problems: string[] = [];
  const where = () => new URL(page.url()).pathname;
  // A page or htmx answer with a 4xx status (404 page, refused sign-in, no team yet) is reported by
  // Chromium as a failed load; that is the answer the walk asked for, not an error in the page.
  const answeredWith4xx = new Set<string>();
  page.on('response', (response) => {
    const request = response.request();
    // htmx is the page's only source of XHR (boosted links and forms, swaps).
    const pageOrHtmx = request.isNavigationRequest() || request.resourceType() === 'xhr';
    if (response.status() >= 400 && response.status() < 500 && pageOrHtmx) answeredWith4xx.add(response.url());
  });
  // Chromium may report the failed load before Playwright reports the response: sorted out at the end.
  const failedLoads: { url: string; text: string }[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (message.text().startsWith('Failed to load resource'))
      failedLoads.push({ url: message.location().url, text: `${where()} console: ${message.text()} (${message.location().url})` });
    else problems.push(`${where()} console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${where()} page error: ${error.message}`));
  return {
    page,
    problems,
    findings: () => [...problems, ...failedLoads.filter((f) => !answeredWith4xx.has(f.url)).map((f) => f.text)],
    async check(label) {
      if (!javaScriptEnabled) return; // axe-core runs as a script in the page
      for (const v of await allViolations(page)) {
        problems.push(`${label} (${where()}) axe ${v.id} [${v.impact}]: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      }
    },
    close: () => context.close(),
  };
}

/** Pages reached by URL, beside those the walk clicks its way to. */
function everyPage(): [string, string][] {
  const team = `/app/team/${teamId}`;
  const assistant = `${team}/assistant/${assistantId}/integrations`;
  return [
    ['picker page', `${assistant}/add/${gmailId}`],
    ['MCP tool calls page', `${team}/assistant/${assistantId}/mcp/calls`],
    ['API keys page', `${team}/integrations/tavily/api-keys`],
    ['used-by page', `${team}/integrations/used-by/api-key/${keyId}`],
    ['API key delete confirmation', `${team}/integrations/api-keys/${keyId}/delete`],
    ['revoke confirmation', `${team}/integrations/github/revoke`],
    ['sync confirmation', `${team}/integrations/sync/confirm`],
    ['how to connect page', `${team}/integrations/linear/connect`],
    ['rename assistant page', `${team}/assistants/${assistantId}/edit`],
    ['delete assistant confirmation', `${team}/assistants/${assistantId}/delete`],
    ['not found page', '/app/no-such-page'],
  ];
}

/** A flash message: at the top of the page, or in the row the change was about. */
const flash = (page: Page, text: string | RegExp) => page.locator('p.flash').getByText(text).waitFor();

/**
 * Back or Forward. The pages were pushed by htmx, which keeps no history cache, so htmx answers
 * the popstate by reloading the page: wait for that load (Playwright's goBack sees it as aborted).
 */
async function throughHistory(page: Page, direction: 'back' | 'forward'): Promise<void> {
  const loaded = page.waitForEvent('load');
  await page.evaluate((d) => (d === 'back' ? history.back() : history.forward()), direction);
  await loaded;
}

describe.each([
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
])('a walk through every page at %s size', (name, viewport) => {
  it('shows no console error, page error, CSP violation or axe-core finding', async () => {
    keyId = await createApiKeyConnection(running.t.db, teamId, 'tavily', 'Search key');
    const w = await startWalk(viewport);
    const { page } = w;
    const team = `/app/team/${teamId}`;
    const assistant = `${team}/assistant/${assistantId}/integrations`;

    await page.goto('/login');
    await w.check('sign-in page');
    await page.getByLabel('Email').fill(DEMO_EMAIL);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/assistants$/);
    await w.check('assistant list');

    // The team integrations page: sync, disable one nobody uses and enable it again, add a key.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click();
    await page.waitForURL(`**${team}/integrations`);
    await w.check('team integrations page');
    await page.getByRole('button', { name: 'Sync from Composio' }).click();
    await flash(page, /^Synced/);
    await w.check('team integrations page after a sync');
    await page.locator('#provider-github').getByRole('switch', { checked: true }).click();
    await flash(page, /^Disabled GitHub/);
    await page.locator('#provider-github').getByRole('switch', { checked: false }).click();
    await flash(page, /^Enabled GitHub/);
    await w.check('team integrations page after disable and enable');
    await page.locator('#api-keys-tavily summary').click();
    await page.locator('#key-label-tavily').fill('Walk key');
    await page.locator('#key-value-tavily').fill('tvly-walk-0123456789');
    await page.getByRole('button', { name: 'Add Tavily Search key' }).click();
    await flash(page, /Walk key/);
    await w.check('team integrations page after adding a key');
    await page
      .locator('#provider-linear')
      .getByRole('button', { name: /How to connect/ })
      .click();
    await page.locator('#connect-dialog[open]').waitFor();
    await w.check('how to connect dialog');
    await page.keyboard.press('Escape');

    // The assistant page: add a built-in, add Gmail through the picker, remove the built-in.
    await page.goto(assistant);
    await w.check('assistant page');
    await page.getByRole('button', { name: 'Add Calculator', exact: true }).click();
    await flash(page, /Calculator/);
    await page.getByRole('button', { name: 'Add Gmail', exact: true }).click();
    await page.locator('#picker[open]').waitFor();
    await w.check('picker dialog');
    await page.locator('#picker').getByRole('button', { name: 'Add Gmail' }).click();
    await flash(page, /Gmail/);
    await page.getByRole('button', { name: 'Remove Calculator', exact: true }).click();
    await flash(page, /Calculator/);
    await w.check('assistant page after add and remove');
    // Search and filter chips: live with htmx, the URL follows.
    await page.getByLabel('Filter integrations').fill('gmail');
    await page.waitForURL(/q=gmail/);
    await page.locator('#integration-list #integration-calculator').waitFor({ state: 'detached' });
    await page.getByLabel('Filter integrations').fill('');
    await page.getByRole('radio', { name: 'Added' }).check();
    await page.waitForURL(/status=added/);
    await page.locator('#integration-list #integration-gmail').waitFor();
    await w.check('assistant page filtered');
    await page.goto(assistant);
    await page.getByLabel('Token name').fill('Walk');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('Copy this token now').waitFor();
    await w.check('token created page');

    // Gmail is used by the assistant now: disabling it asks first.
    await page.goto(`${team}/integrations`);
    await page.locator('#provider-gmail').getByRole('switch', { checked: true }).click();
    await page.waitForURL(`**${team}/integrations/gmail/disable`);
    await w.check('disable confirmation page');

    for (const [label, url] of everyPage()) {
      await page.goto(url);
      await w.check(label);
    }

    // Back and forward through htmx-boosted history.
    await page.goto(`${team}/assistants`);
    await page.getByRole('link', { name: 'Sales Assistant' }).first().click();
    await page.waitForURL(`**${assistant}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations' }).click();
    await page.waitForURL(`**${team}/integrations`);
    await throughHistory(page, 'back');
    expect(new URL(page.url()).pathname).toBe(assistant);
    await throughHistory(page, 'back');
    expect(new URL(page.url()).pathname).toBe(`${team}/assistants`);
    await throughHistory(page, 'forward');
    expect(new URL(page.url()).pathname).toBe(assistant);
    await w.check('assistant page after back and forward');
    await screenshot(page, `walk-${name}`);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    expect(w.findings()).toEqual([]);
    await w.close();
  }, 240_000);
});

it('without JavaScript, the same pages and actions show no console error or CSP violation', async () => {
  keyId = await createApiKeyConnection(running.t.db, teamId, 'tavily', 'Search key');
  const w = await startWalk({ width: 1280, height: 800 }, false);
  const { page } = w;
  const team = `/app/team/${teamId}`;
  await page.goto('/login');
  await page.getByLabel('Email').fill(DEMO_EMAIL);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/assistants$/);

  await page.goto(`${team}/integrations`);
  await page.getByRole('button', { name: 'Sync from Composio' }).click();
  await flash(page, /^Synced/);
  await page.locator('#provider-github').getByRole('switch', { checked: true }).click();
  await flash(page, /^Disabled GitHub/);
  await page.locator('#provider-github').getByRole('switch', { checked: false }).click();
  await flash(page, /^Enabled GitHub/);

  await page.goto(`${team}/assistant/${assistantId}/integrations`);
  await page.getByRole('button', { name: 'Add Calculator', exact: true }).click();
  await flash(page, /Calculator/);
  await page.getByRole('button', { name: 'Add Gmail', exact: true }).click();
  await page.getByRole('button', { name: 'Add Gmail' }).click(); // the picker, as a page of its own
  await flash(page, /Gmail/);
  await page.getByRole('button', { name: 'Remove Calculator', exact: true }).click();
  await flash(page, /Calculator/);

  for (const [, url] of everyPage()) await page.goto(url);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/login');
  expect(w.findings()).toEqual([]);
  await w.close();
}, 120_000);

it('as a member (read-only pages) and as someone in no team: no console error, CSP violation or axe-core finding', async () => {
  keyId = await createApiKeyConnection(running.t.db, teamId, 'tavily', 'Search key');
  const member = await createUser(running.t.db, { team: 'Demo Team', role: 'member' });
  const loner = await createUser(running.t.db);
  await running.t.db.withOwner((tx) => tx.query('DELETE FROM team_users WHERE user_id = $1', [loner.userId]));
  const w = await startWalk({ width: 1280, height: 800 });
  const { page } = w;
  const signIn = async (email: string, password: string) => {
    await page.goto('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  await signIn(member.email, 'not-the-password');
  await page.getByText('That email and password do not match').first().waitFor();
  await w.check('sign-in page, refused');
  await signIn(member.email, member.password);
  await page.waitForURL(/\/assistants$/);
  await w.check('assistant list (member)');
  const team = `/app/team/${teamId}`;
  for (const [label, url] of [
    ['assistant page (member)', `${team}/assistant/${assistantId}/integrations`],
    ['team integrations page (member)', `${team}/integrations`],
    ['API keys page (member)', `${team}/integrations/tavily/api-keys`],
    ['used-by page (member)', `${team}/integrations/used-by/api-key/${keyId}`],
    ['MCP tool calls page (member)', `${team}/assistant/${assistantId}/mcp/calls`],
  ]) {
    await page.goto(url!);
    await w.check(label!);
  }
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/login');

  await signIn(loner.email, loner.password);
  await page.getByText('You are not a member of any team yet').waitFor();
  await w.check('no team yet page');
  await w.close();
  await running.t.db.withOwner(async (tx) => {
    await tx.query('DELETE FROM users WHERE id = ANY ($1::int[])', [[member.userId, loner.userId]]);
    await tx.query('DELETE FROM teams WHERE id = $1', [loner.teamId]);
  });
  expect(w.findings()).toEqual([]);
}, 120_000);
