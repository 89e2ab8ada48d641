import type { Page } from 'playwright-core';
import { createApiKeyConnection, createOAuth2Connection, assistantIntegrations } from '../helpers/fixtures';
import { seriousViolations } from './axe';
import { openSignedIn, screenshot, startApp, type Running } from './browser';

let running: Running;
let teamId: number;
let sales: number;

beforeAll(async () => {
  running = await startApp();
  const team = await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"));
  teamId = team.id;
  sales = (
    await running.t.db.withOwner((tx) =>
      tx.one<{ id: number }>("SELECT id FROM assistants WHERE team_id = $1 AND name = 'Sales Assistant'", [teamId]),
    )
  ).id;
  await createOAuth2Connection(running.t.db, teamId, 'gmail', { identity: 'sales@demo.example' });
  await createOAuth2Connection(running.t.db, teamId, 'gmail', { identity: 'support@demo.example' });
  await createOAuth2Connection(running.t.db, teamId, 'github', { identity: 'demo-org' });
  await createApiKeyConnection(running.t.db, teamId, 'tavily', 'Research key');
});
afterAll(() => running.close());

beforeEach(async () => {
  await running.t.db.withOwner((tx) => tx.query('DELETE FROM assistant_integrations WHERE assistant_id = $1', [sales]));
});

/** Waits until the element has focus (the dialog's close event is asynchronous). */
async function hasFocus(locator: ReturnType<Page['locator']>) {
  const handle = await locator.elementHandle();
  await locator.page().waitForFunction((el) => el === document.activeElement, handle, { timeout: 5000 });
}

const pageUrl = () => `/app/team/${teamId}/assistant/${sales}/integrations`;
const row = (page: Page, slug: string) => page.locator(`#integration-${slug}`);

const openPage = (javaScriptEnabled: boolean) => openSignedIn(running, pageUrl(), { javaScriptEnabled });

describe('with JavaScript', () => {
  it('adds an OAuth2 integration through the dialog, shows it Added with a flash, and removes it', async () => {
    const { context, page, errors } = await openPage(true);
    await row(page, 'gmail').getByRole('button', { name: 'Add Gmail' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Gmail to Sales Assistant' });
    await dialog.waitFor();
    expect(await dialog.getByRole('radio').count()).toBe(2);
    await dialog.getByRole('radio', { name: /support@demo\.example/ }).check();
    const urlBefore = page.url();
    await dialog.getByRole('button', { name: 'Add Gmail' }).click();
    await page.locator('p.flash').getByText('Added Gmail to Sales Assistant using support@demo.example.').waitFor();
    await row(page, 'gmail').getByText('Added', { exact: true }).waitFor();
    await row(page, 'gmail').getByText('support@demo.example', { exact: true }).waitFor();
    expect(await dialog.isVisible()).toBe(false);
    expect(page.url()).toBe(urlBefore);

    await row(page, 'gmail').getByRole('button', { name: 'Remove Gmail' }).click();
    await page.locator('p.flash').getByText('Removed Gmail from Sales Assistant.').waitFor();
    await row(page, 'gmail').getByText('Available', { exact: true }).waitFor();
    expect(await assistantIntegrations(running.t.db, sales)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works with the keyboard only: Tab to Add, Enter opens, Esc closes and returns focus, Enter confirms', async () => {
    const { context, page } = await openPage(true);
    const add = row(page, 'github').getByRole('button', { name: 'Add GitHub' });
    await add.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add GitHub to Sales Assistant' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await hasFocus(add);

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    // The only GitHub connection is preselected and focused; Tab moves to the Add button.
    expect(await dialog.getByRole('radio', { name: /demo-org/ }).isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Add GitHub');
    await page.keyboard.press('Enter');
    await page.locator('p.flash').getByText('Added GitHub to Sales Assistant using demo-org.').waitFor();

    // Cancel closes too, and focus goes back to the button that opened the dialog.
    const gmailAdd = row(page, 'gmail').getByRole('button', { name: 'Add Gmail' });
    await gmailAdd.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Add Gmail to Sales Assistant' }).waitFor();
    await page.getByRole('dialog').getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await hasFocus(gmailAdd);
    await context.close();
  });

  it('filters live as you type, without a reload', async () => {
    const { context, page } = await openPage(true);
    await page.getByLabel('Filter integrations').fill('goo');
    await page.waitForURL(/q=goo/);
    await row(page, 'github').waitFor({ state: 'detached' });
    expect(await row(page, 'googledocs').isVisible()).toBe(true);
    await context.close();
  });

  it('has no serious or critical accessibility violations on the page or in the open picker, and saves a screenshot', async () => {
    const { context, page } = await openPage(true);
    await row(page, 'calculator').getByRole('button', { name: 'Add Calculator' }).click();
    await page.locator('p.flash').getByText('Added Calculator to Sales Assistant.').waitFor();
    await row(page, 'tavily').getByRole('button', { name: 'Add Tavily Search' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Add Tavily Search' }).click();
    await page
      .locator('p.flash')
      .getByText(/Added Tavily Search/)
      .waitFor();
    await row(page, 'gmail').getByRole('button', { name: 'Add Gmail' }).click();
    await page
      .getByRole('dialog')
      .getByRole('radio', { name: /sales@demo\.example/ })
      .check();
    await page.getByRole('dialog').getByRole('button', { name: 'Add Gmail' }).click();
    await page
      .locator('p.flash')
      .getByText(/Added Gmail/)
      .waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'assistant-integrations');

    await row(page, 'github').getByRole('button', { name: 'Add GitHub' }).click();
    await page.getByRole('dialog').waitFor();
    expect(await seriousViolations(page, '#picker')).toEqual([]);
    await screenshot(page, 'assistant-integrations-picker');
    await context.close();
  });
});

describe('without JavaScript', () => {
  it('adds through the picker page, shows the flash, and removes', async () => {
    const { context, page } = await openPage(false);
    await row(page, 'gmail').getByRole('button', { name: 'Add Gmail' }).click();
    await page.waitForURL(/\/add\/\d+\??$/);
    await page.getByRole('heading', { name: 'Add Gmail to Sales Assistant' }).waitFor();
    await page.getByRole('radio', { name: /sales@demo\.example/ }).check();
    await page.getByRole('button', { name: 'Add Gmail' }).click();
    await page.waitForURL(new RegExp(`${pageUrl()}#integration-gmail$`));
    await page.locator('p.flash').getByText('Added Gmail to Sales Assistant using sales@demo.example.').waitFor();
    await row(page, 'gmail').getByText('Added', { exact: true }).waitFor();

    await row(page, 'gmail').getByRole('button', { name: 'Remove Gmail' }).click();
    await page.locator('p.flash').getByText('Removed Gmail from Sales Assistant.').waitFor();
    await page.getByLabel('Filter integrations').fill('calc');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/q=calc/);
    expect(await row(page, 'gmail').count()).toBe(0);
    await context.close();
  });
});
