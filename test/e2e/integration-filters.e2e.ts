import type { Page } from 'playwright-core';
import { createApiKeyConnection } from '../helpers/fixtures';
import { allViolations } from './axe';
import { openSignedIn, startApp, type Running } from './browser';

/**
 * Finding one integration among many on both pages, with JavaScript on and off: the search, a
 * chip, a category jump link, "Add key", and How to connect an API-key integration from an
 * assistant and back to it with the new key chosen.
 */
let running: Running;
let teamId: number;
let sales: number;

beforeAll(async () => {
  running = await startApp();
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
  sales = (
    await running.t.db.withOwner((tx) =>
      tx.one<{ id: number }>("SELECT id FROM assistants WHERE team_id = $1 AND name = 'Sales Assistant'", [teamId]),
    )
  ).id;
}, 60_000);
// The browser test files run one after another on one database and share the demo team, and some
// leave accounts and keys in it: each test here starts from the demo team as seeded (no accounts,
// no keys, nothing added to an assistant), and leaves it so.
const resetDemoTeam = () =>
  running.t.db.withOwner(async (tx) => {
    await tx.query('DELETE FROM assistant_integrations WHERE team_id = $1', [teamId]);
    await tx.query('DELETE FROM api_key_connections WHERE team_id = $1', [teamId]);
    await tx.query('DELETE FROM oauth2_connections WHERE team_id = $1', [teamId]);
  });
beforeEach(resetDemoTeam);
afterAll(async () => {
  await resetDemoTeam();
  await running.close();
});

const assistantPage = () => `/app/team/${teamId}/assistant/${sales}/integrations`;
const teamPage = () => `/app/team/${teamId}/integrations`;
/** Element ids in order (through locators: page.evaluate does not run with JavaScript off). */
const rowIds = async (page: Page, selector: string) =>
  Promise.all((await page.locator(selector).all()).map((row) => row.getAttribute('id')));
/** axe-core (findings of any impact) runs as a script in the page, so only where JavaScript runs; the HTML is the same without it. */
const noViolations = async (page: Page, javaScriptEnabled: boolean) => {
  if (javaScriptEnabled) expect(await allViolations(page)).toEqual([]);
};
const assistantRows = (page: Page) => rowIds(page, '#integration-list li.row');

for (const javaScriptEnabled of [true, false]) {
  describe(javaScriptEnabled ? 'with JavaScript' : 'without JavaScript', () => {
    it('searches, filters with a chip and jumps to a category on an assistant’s page', async () => {
      const { context, page, errors } = await openSignedIn(running, assistantPage(), { javaScriptEnabled });
      // With JavaScript, the list changes in place: the marker survives because the page never reloads.
      if (javaScriptEnabled) await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
      const search = page.getByLabel('Filter integrations');
      if (javaScriptEnabled) await search.pressSequentially('api key', { delay: 30 });
      else {
        await search.fill('api key');
        await page.getByRole('button', { name: 'Filter', exact: true }).click();
      }
      await page.waitForURL(/[?&]q=api(\+|%20)key/);
      await page.locator('#integration-tavily').waitFor();
      await page.locator('#integration-calculator').waitFor({ state: 'detached' });
      expect(await assistantRows(page)).toEqual(['integration-github', 'integration-linear', 'integration-tavily']);
      await page.getByRole('status').filter({ hasText: 'Showing 3 of 11 integrations.' }).waitFor();
      if (javaScriptEnabled) expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

      // A chip narrows the search further: needs attention (the demo team has no keys or accounts).
      await page.getByRole('radio', { name: 'Needs attention' }).check();
      if (!javaScriptEnabled) await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.waitForURL(/status=needs_attention/);
      expect(page.url()).toMatch(/q=api(\+|%20)key/);
      await page.getByRole('status').filter({ hasText: 'Showing 3 of 11 integrations.' }).waitFor();

      // Nothing matches: say so, and clear everything with one link.
      await page.getByRole('group', { name: 'Connects with' }).getByRole('radio', { name: 'Built-in' }).check();
      if (!javaScriptEnabled) await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.getByText('No integration matches “api key”, status Needs attention, Built-in.').waitFor();
      await noViolations(page, javaScriptEnabled);
      await page.getByRole('link', { name: 'Clear filters and show all 11' }).click();
      await page.waitForURL((url) => url.pathname === assistantPage() && url.search === '');
      await page.locator('#integration-calculator').waitFor();
      expect(await assistantRows(page)).toHaveLength(11);

      // A jump link goes to its category heading.
      await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: 'Built-in' }).click();
      await page.waitForURL(/#cat-Built-in$/);
      expect(await page.getByRole('heading', { name: 'Built-in', level: 2 }).isVisible()).toBe(true);
      expect((await page.locator('#cat-Built-in').boundingBox())!.y).toBeLessThan(100);
      await noViolations(page, javaScriptEnabled);
      if (javaScriptEnabled) expect(errors).toEqual([]);
      await context.close();
    });

    it('filters the team page with a chip and hides each add-key form behind Add key', async () => {
      const { context, page, errors } = await openSignedIn(running, teamPage(), { javaScriptEnabled });
      await page.getByRole('radio', { name: 'API key' }).check();
      if (!javaScriptEnabled) await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.waitForURL(/auth=api_key/);
      await page.locator('#provider-gmail').waitFor({ state: 'detached' });
      expect(await rowIds(page, '#integration-list .panel')).toEqual(['api-keys-github', 'api-keys-linear', 'api-keys-tavily']);

      const label = page.getByLabel('Label').and(page.locator('#key-label-tavily'));
      expect(await label.isVisible()).toBe(false);
      await page.locator('#api-keys-tavily').getByText('Add key').click();
      await label.fill('E2E team key');
      await page.locator('#key-value-tavily').fill('tvly-e2e-0123456789');
      await noViolations(page, javaScriptEnabled);
      await page.getByRole('button', { name: 'Add Tavily Search key' }).click();
      await page.locator('p.flash').getByText('Added the API key "E2E team key" for Tavily Search.').waitFor();
      await page.locator('#api-keys-tavily').getByRole('cell', { name: 'E2E team key', exact: true }).waitFor();
      // Back in the list the person was working in: still only the API keys.
      expect(page.url()).toMatch(/[?&]auth=api_key/);
      expect(await page.getByRole('radio', { name: 'API key' }).isChecked()).toBe(true);
      expect(await rowIds(page, '#integration-list .panel')).toEqual(['api-keys-github', 'api-keys-linear', 'api-keys-tavily']);
      expect(await page.locator('#provider-gmail').count()).toBe(0);

      await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: 'API keys' }).click();
      await page.waitForURL(/#api-keys-heading$/);
      if (javaScriptEnabled) expect(errors).toEqual([]);
      await context.close();
    });

    it('keeps the filter after a change and lands at the row, also in a list filtered in place', async () => {
      const { context, page, errors } = await openSignedIn(running, assistantPage(), { javaScriptEnabled });
      // Chosen with the chips (with JavaScript the list is swapped in, its forms with it).
      await page.getByRole('group', { name: 'Connects with' }).getByRole('radio', { name: 'Built-in' }).check();
      await page.getByRole('group', { name: 'Status' }).getByRole('radio', { name: 'Available' }).check();
      if (!javaScriptEnabled) await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.waitForURL(/status=available/);
      expect(page.url()).toMatch(/auth=none/);
      await page.locator('#integration-tavily').waitFor({ state: 'detached' });
      expect(await assistantRows(page)).toEqual(['integration-web_browser', 'integration-calculator']);
      await page.getByRole('button', { name: 'Add Web page reader' }).click();
      await page.locator('p.flash').getByText('Added Web page reader to Sales Assistant.').waitFor();
      const url = new URL(page.url());
      expect([url.pathname, url.searchParams.get('auth'), url.searchParams.get('status')]).toEqual([assistantPage(), 'none', 'available']);
      if (!javaScriptEnabled) expect(url.hash).toBe('#integration-web_browser');
      expect(await page.getByRole('group', { name: 'Status' }).getByRole('radio', { name: 'Available' }).isChecked()).toBe(true);
      // Added, it is no longer available: the message is still shown, the list is still the filtered one.
      expect(await assistantRows(page)).toEqual(['integration-calculator']);

      // Back to everything added, and remove it from there: the list stays "Added".
      await page.getByRole('group', { name: 'Status' }).getByRole('radio', { name: 'Added' }).check();
      if (!javaScriptEnabled) await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.waitForURL(/status=added/);
      await page.locator('#integration-web_browser').waitFor();
      await page.getByRole('button', { name: 'Remove Web page reader' }).click();
      await page.locator('p.flash').getByText('Removed Web page reader from Sales Assistant.').waitFor();
      expect(new URL(page.url()).searchParams.get('status')).toBe('added');
      expect(new URL(page.url()).searchParams.get('auth')).toBe('none');
      if (javaScriptEnabled) expect(errors).toEqual([]);
      await context.close();
    });

    it('filters by category with chips, by pointer and by keyboard', async () => {
      const { context, page, errors } = await openSignedIn(running, assistantPage(), { javaScriptEnabled });
      const categories = page.getByRole('group', { name: 'Category' });
      expect(await categories.getByRole('radio').first().getAttribute('value')).toBe('');
      expect(await categories.getByRole('radio', { name: 'All' }).isChecked()).toBe(true);
      await categories.getByRole('radio', { name: 'Research' }).check();
      if (!javaScriptEnabled) await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.waitForURL(/category=Research/);
      await page.locator('#integration-calculator').waitFor({ state: 'detached' });
      expect(await assistantRows(page)).toEqual(['integration-tavily']);

      // The arrow keys move along the chips (one radio group), as with the other chips.
      await categories.getByRole('radio', { name: 'Research' }).focus();
      await page.keyboard.press('ArrowRight');
      expect(await categories.getByRole('radio', { name: 'Built-in' }).isChecked()).toBe(true);
      if (!javaScriptEnabled) {
        await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
      }
      await page.waitForURL(/category=Built-in/);
      await page.locator('#integration-calculator').waitFor();
      expect(await assistantRows(page)).toEqual(['integration-web_browser', 'integration-calculator']);
      await noViolations(page, javaScriptEnabled);
      if (javaScriptEnabled) expect(errors).toEqual([]);
      await context.close();
    });

    it('connects Tavily from the assistant’s How to connect and comes back with the new key chosen', async () => {
      const { context, page, errors } = await openSignedIn(running, assistantPage(), { javaScriptEnabled });
      const tavily = page.locator('#integration-tavily');
      await tavily.getByText('Needs a connection').waitFor();
      await tavily.getByRole('link', { name: 'How to connect Tavily Search' }).click();
      await page.waitForURL(/\/integrations\?add_key=tavily&return_to=.*#add-key-tavily$/);
      const label = page.locator('#key-label-tavily');
      expect(await label.isVisible()).toBe(true); // opened for the person
      await noViolations(page, javaScriptEnabled);
      await label.fill('E2E research key');
      await page.locator('#key-value-tavily').fill('tvly-e2e-abcdefghij');
      await page.getByRole('button', { name: 'Add Tavily Search key' }).click();

      await page.waitForURL(new RegExp(`${assistantPage()}/add/\\d+\\?connection=api:\\d+$`));
      await page.getByRole('heading', { name: 'Add Tavily Search to Sales Assistant' }).waitFor();
      await page.locator('p.flash').getByText('Added the API key "E2E research key" for Tavily Search.').waitFor();
      expect(await page.getByRole('radio', { name: /E2E research key/ }).isChecked()).toBe(true);
      await page.getByRole('button', { name: 'Add Tavily Search' }).click();
      await page.waitForURL((url) => url.pathname === assistantPage());
      await page.locator('p.flash').getByText('Added Tavily Search to Sales Assistant using E2E research key.').waitFor();
      await page.locator('#integration-tavily').getByText('Added', { exact: true }).waitFor();
      if (javaScriptEnabled) expect(errors).toEqual([]);
      await context.close();
    });
  });
}

it('opens an add-key form linked to by its fragment alone, without JavaScript', async () => {
  await createApiKeyConnection(running.t.db, teamId, 'linear', 'E2E linear key');
  const { context, page } = await openSignedIn(running, `${teamPage()}#add-key-linear`, { javaScriptEnabled: false });
  await page.locator('#key-label-linear').waitFor({ state: 'visible' });
  expect(await page.locator('#api-keys-linear details').getAttribute('open')).not.toBeNull();
  expect(await page.locator('#key-label-tavily').isVisible()).toBe(false);
  await context.close();
});

describe('a link to an add-key form, with JavaScript', () => {
  const focused = (page: Page, selector: string) => page.locator(`${selector}:focus`).waitFor();

  it('opens it and puts focus in its first field: on load, and on a link within the page', async () => {
    const { context, page, errors } = await openSignedIn(running, `${teamPage()}#add-key-linear`, { javaScriptEnabled: true });
    await focused(page, '#key-label-linear');
    expect(await page.locator('#api-keys-linear details').getAttribute('open')).not.toBeNull();
    expect(await page.locator('#key-label-tavily').isVisible()).toBe(false);
    await page.evaluate(() => {
      window.location.hash = '#add-key-tavily';
    });
    await focused(page, '#key-label-tavily');
    expect(await page.locator('#api-keys-tavily details').getAttribute('open')).not.toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opens it when htmx brings the page in: How to connect, and a link that names only the form', async () => {
    const { context, page, errors } = await openSignedIn(running, assistantPage(), { javaScriptEnabled: true });
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    await page.locator('#integration-tavily').getByRole('link', { name: 'How to connect Tavily Search' }).click();
    await page.waitForURL(/#add-key-tavily$/);
    await focused(page, '#key-label-tavily');
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true); // swapped in, not loaded

    // A boosted link to the team page naming only the form (no ?add_key=): the server leaves it closed.
    await page.goto(assistantPage());
    await page.evaluate((href) => {
      const link = document.createElement('a');
      link.href = href;
      link.id = 'e2e-link';
      link.textContent = 'Add a Linear key';
      document.querySelector('main')!.prepend(link);
      (window as unknown as { htmx: { process: (elt: Element) => void } }).htmx.process(link);
      (window as unknown as { stayed: boolean }).stayed = true;
    }, `${teamPage()}#add-key-linear`);
    await page.locator('#e2e-link').click();
    await page.waitForURL(/#add-key-linear$/);
    await focused(page, '#key-label-linear');
    expect(await page.locator('#api-keys-linear details').getAttribute('open')).not.toBeNull();
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
