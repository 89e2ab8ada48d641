import type { Locator, Page } from 'playwright-core';
import { createApiKeyConnection, createOAuth2Connection } from '../helpers/fixtures';
import { unique } from '../helpers/app';
import { seriousViolations } from './axe';
import { openSignedIn, signInAsDemo, startApp, type Running } from './browser';

let running: Running;
let teamId: number;
let assistant: { id: number; name: string };

beforeAll(async () => {
  running = await startApp();
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
  const name = unique('Focus');
  assistant = await running.t.db.withOwner((tx) =>
    tx.one<{ id: number; name: string }>('INSERT INTO assistants (team_id, name, description) VALUES ($1, $2, $3) RETURNING id, name', [
      teamId,
      name,
      'Browser test',
    ]),
  );
  await createApiKeyConnection(running.t.db, teamId, 'tavily', `${assistant.name} first`);
  await createApiKeyConnection(running.t.db, teamId, 'tavily', `${assistant.name} second`);
  await createOAuth2Connection(running.t.db, teamId, 'linear', { identity: `${assistant.name}@linear.test` });
});
afterAll(async () => {
  await running.t.db.withOwner(async (tx) => {
    await tx.query('DELETE FROM assistants WHERE id = $1', [assistant.id]);
    await tx.query('DELETE FROM api_key_connections WHERE team_id = $1 AND label LIKE $2', [teamId, `${assistant.name}%`]);
    await tx.query('DELETE FROM oauth2_connections WHERE team_id = $1 AND account_identity LIKE $2', [teamId, `${assistant.name}%`]);
  });
  await running.close();
});

beforeEach(() => running.t.db.withOwner((tx) => tx.query('DELETE FROM assistant_integrations WHERE assistant_id = $1', [assistant.id])));

const assistantPage = () => `/app/team/${teamId}/assistant/${assistant.id}/integrations`;
const teamPage = () => `/app/team/${teamId}/integrations`;

/** True once focus is on a control inside `selector` (not on <body>). */
function focusInside(page: Page, selector: string): Promise<unknown> {
  return page.waitForFunction(
    (sel) => {
      const active = document.activeElement;
      return Boolean(active && active !== document.body && document.querySelector(sel)?.contains(active));
    },
    selector,
    { timeout: 5000 },
  );
}

const activeName = (page: Page) => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

async function inViewport(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => {
    const box = el.getBoundingClientRect();
    return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
  });
}

/** The result of the change, shown in the row: the text and whether it can be seen without scrolling. */
async function rowResult(page: Page, rowId: string, text: string | RegExp) {
  const message = page.locator(`#${rowId} [data-row-flash]`);
  await message.getByText(text).waitFor();
  return { visible: await inViewport(message), role: await message.getAttribute('role') };
}

/** Scrolls so the row sits at the bottom edge of the window: the top of the page (and its flash area) is out of view. */
async function scrollRowToBottom(page: Page, rowId: string) {
  await page.locator(`#${rowId}`).evaluate((el) => window.scrollBy(0, el.getBoundingClientRect().bottom - window.innerHeight + 4));
  expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(100);
}

describe('with JavaScript', () => {
  it('after Add, Change and Remove, focus is in the updated row and its result is in view', async () => {
    const { context, page, errors } = await openSignedIn(running, assistantPage(), { javaScriptEnabled: true });
    await scrollRowToBottom(page, 'integration-calculator');
    await page.locator('#integration-calculator').getByRole('button', { name: 'Add Calculator' }).click();
    expect(await rowResult(page, 'integration-calculator', `Added Calculator to ${assistant.name}.`)).toEqual({
      visible: true,
      role: 'status',
    });
    await focusInside(page, '#integration-calculator');
    expect(await activeName(page)).toBe('Remove Calculator');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-describedby'))).toBe('flash-integration-calculator');
    expect((await page.locator('#flash').innerText()).trim()).toBe('');

    await page.locator('#integration-calculator').getByRole('button', { name: 'Remove Calculator' }).click();
    expect(await rowResult(page, 'integration-calculator', `Removed Calculator from ${assistant.name}.`)).toEqual({
      visible: true,
      role: 'status',
    });
    await focusInside(page, '#integration-calculator');
    expect(await activeName(page)).toBe('Add Calculator');

    // The next Tab goes on from the row, not from "Skip to content".
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('li.row')?.id ?? document.activeElement?.className)).not.toBe(
      'skip-link',
    );

    const tavily = page.locator('#integration-tavily');
    await scrollRowToBottom(page, 'integration-tavily');
    await tavily.getByRole('button', { name: 'Add Tavily Search' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('radio', { name: new RegExp(`${assistant.name} first`) }).check();
    await dialog.getByRole('button', { name: 'Add Tavily Search' }).click();
    expect((await rowResult(page, 'integration-tavily', /^Added Tavily Search/)).visible).toBe(true);
    await focusInside(page, '#integration-tavily');

    await scrollRowToBottom(page, 'integration-tavily');
    await tavily.getByRole('button', { name: 'Change connection for Tavily Search' }).click();
    await dialog.getByRole('radio', { name: new RegExp(`${assistant.name} second`) }).check();
    await dialog.getByRole('button', { name: 'Use this connection' }).click();
    expect(await rowResult(page, 'integration-tavily', `Tavily Search on ${assistant.name} now uses ${assistant.name} second.`)).toEqual({
      visible: true,
      role: 'status',
    });
    await focusInside(page, '#integration-tavily');
    expect(await activeName(page)).toBe('Change connection for Tavily Search');

    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('Enable/Disable is a switch: aria-checked flips, focus stays on it, the result is in view', async () => {
    const { context, page, errors } = await openSignedIn(running, teamPage(), { javaScriptEnabled: true });
    const row = page.locator('#provider-linear');
    const toggle = row.getByRole('switch', { name: 'Enabled for assistants: Linear' });
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await scrollRowToBottom(page, 'provider-linear');
    await toggle.click();
    expect((await rowResult(page, 'provider-linear', /^Disabled Linear for Demo Team\./)).visible).toBe(true);
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    await focusInside(page, '#provider-linear');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('switch');

    await toggle.click();
    expect((await rowResult(page, 'provider-linear', 'Enabled Linear for Demo Team.')).visible).toBe(true);
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await focusInside(page, '#provider-linear');

    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('times say "… ago", with the exact time in the viewer’s time zone in their title, and do not wrap', async () => {
    const context = await running.browser.newContext({ baseURL: running.url, timezoneId: 'Asia/Tokyo', locale: 'en-GB' });
    const page = await context.newPage();
    await signInAsDemo(page);
    const html = await (await page.request.get(teamPage())).text();
    expect(html).toMatch(/<time datetime="[^"]+Z" title="[^"]+ UTC">(just now|\d+ (minute|hour|day)s? ago)<\/time>/);
    await page.goto(teamPage());
    const time = page.locator('#provider-linear time').first();
    const instant = new Date((await time.getAttribute('datetime'))!);
    const tokyo = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit' }).format(instant);
    expect(await time.getAttribute('title')).toContain(tokyo);
    expect(await time.getAttribute('title')).not.toMatch(/UTC$/);
    expect(await time.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('nowrap');
    await context.close();
  });

  it('after adding an API key, focus is in that integration’s keys and the result is in view', async () => {
    const { context, page, errors } = await openSignedIn(running, teamPage(), { javaScriptEnabled: true });
    const panel = page.locator('#api-keys-tavily');
    await panel.getByText('Add key', { exact: false }).first().click();
    await panel.getByLabel('Label').fill(`${assistant.name} third`);
    await panel.getByLabel('API key').fill('tvly-third-key-value');
    await panel.getByRole('button', { name: /^Add Tavily Search key/ }).click();
    expect((await rowResult(page, 'api-keys-tavily', `Added the API key "${assistant.name} third" for Tavily Search.`)).visible).toBe(true);
    await focusInside(page, '#api-keys-tavily');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('Back and Forward between pages raise no page errors and no console errors (CSP included)', async () => {
    const { context, page, errors } = await openSignedIn(running, assistantPage(), { javaScriptEnabled: true });
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByRole('heading', { name: /^Integrations of/ }).waitFor();
    await page.getByRole('link', { name: 'Assistants', exact: true }).click();
    await page.getByRole('heading', { name: 'Assistants', level: 1 }).waitFor();
    for (const move of ['back', 'back', 'forward', 'forward', 'back', 'back'] as const) {
      await (move === 'back' ? page.goBack() : page.goForward());
      await page.waitForLoadState('load');
      await page.locator('h1').waitFor();
    }
    await page.locator('#integration-calculator').getByRole('button', { name: 'Add Calculator' }).click();
    await page.locator('#integration-calculator [data-row-flash]').waitFor();
    await page.goBack();
    await page.waitForLoadState('load');
    await page.locator('h1').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('without JavaScript', () => {
  it('the redirect lands at the row, where the result can be seen', async () => {
    const { context, page } = await openSignedIn(running, assistantPage(), { javaScriptEnabled: false });
    await page.locator('#integration-calculator').getByRole('button', { name: 'Add Calculator' }).click();
    expect(page.url()).toMatch(/#integration-calculator$/);
    expect(await rowResult(page, 'integration-calculator', `Added Calculator to ${assistant.name}.`)).toEqual({
      visible: true,
      role: 'status',
    });

    await page.goto(teamPage());
    await page.locator('#provider-linear').getByRole('switch').click();
    expect(page.url()).toMatch(new RegExp(`${teamPage()}#provider-linear$`));
    expect((await rowResult(page, 'provider-linear', /Linear for Demo Team\./)).visible).toBe(true);
    expect(await page.locator('#provider-linear').getByRole('switch').getAttribute('aria-checked')).toBe('false');
    await page.locator('#provider-linear').getByRole('switch').click();
    expect(await page.locator('#provider-linear').getByRole('switch').getAttribute('aria-checked')).toBe('true');
    await context.close();
  });
});
