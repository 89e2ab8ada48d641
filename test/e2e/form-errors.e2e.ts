import type { Page } from 'playwright-core';
import { createApiKeyConnection } from '../helpers/fixtures';
import { allViolations } from './axe';
import { openSignedIn, startApp, type Running } from './browser';

/**
 * A refused form, the same way everywhere, with JavaScript on (htmx swaps the form in place) and off
 * (the page again): the summary at the top of the form is focused and announced (role="alert"),
 * each message sits beside its field and describes it, what was typed is kept except the key.
 */
let running: Running;
let teamId: number;

beforeAll(async () => {
  running = await startApp();
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
}, 60_000);
// The browser tests share the demo team: leave it without what was made here.
const cleanUp = () =>
  running.t.db.withOwner(async (tx) => {
    await tx.query(
      "DELETE FROM assistant_integrations WHERE team_id = $1 AND api_connection_id IN (SELECT id FROM api_key_connections WHERE label LIKE 'E2E %')",
      [teamId],
    );
    await tx.query("DELETE FROM api_key_connections WHERE team_id = $1 AND label LIKE 'E2E %'", [teamId]);
    await tx.query("DELETE FROM assistants WHERE team_id = $1 AND description LIKE 'E2E %'", [teamId]);
  });
beforeEach(cleanUp);
afterAll(async () => {
  await cleanUp();
  await running.close();
});

const count = (sql: string) => running.t.db.withOwner((tx) => tx.one<{ n: number }>(sql, [teamId])).then((r) => Number(r.n));

/** Which element has focus, through a locator (page.evaluate does not run with JavaScript off). */
const isFocused = (page: Page, selector: string) =>
  page
    .locator(`${selector}:focus`)
    .count()
    .then((n) => n === 1);

/** The field is marked invalid and described by the message placed beside it. */
async function expectMessageBeside(page: Page, fieldId: string, message: string) {
  const field = page.locator(`#${fieldId}`);
  expect(await field.getAttribute('aria-invalid')).toBe('true');
  expect(await field.getAttribute('aria-describedby')).toBe(`${fieldId}-error`);
  expect((await page.locator(`#${fieldId}-error`).innerText()).replace(/\s+/g, ' ').trim()).toBe(`Error: ${message}`);
  // Beside it: the message is the element just before the field.
  expect(await page.locator(`#${fieldId}-error + #${fieldId}`).count()).toBe(1);
}

/** A marker on the window survives only if the page was not loaded again (JavaScript on: swapped in place). */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
const stayed = (page: Page) => page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed === true);

for (const javaScriptEnabled of [true, false]) {
  describe(javaScriptEnabled ? 'with JavaScript' : 'without JavaScript', () => {
    it('creating an assistant without a name: the message beside Name, the description kept, focus on the summary', async () => {
      const url = `/app/team/${teamId}/assistants`;
      const { context, page } = await openSignedIn(running, url, { javaScriptEnabled });
      if (javaScriptEnabled) await mark(page);
      await page.getByLabel('Description (optional)').fill('E2E answers sales email');
      await page.getByRole('button', { name: 'Create assistant' }).click();

      const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' });
      await summary.waitFor();
      expect(await summary.getByRole('link', { name: 'Give the assistant a name.' }).getAttribute('href')).toBe('#assistant-name');
      await expectMessageBeside(page, 'assistant-name', 'Give the assistant a name.');
      expect(await page.getByLabel('Description (optional)').inputValue()).toBe('E2E answers sales email');
      expect(await isFocused(page, '#new-assistant-form-errors')).toBe(true);
      expect(new URL(page.url()).pathname).toBe(url);
      expect(await count("SELECT count(*) AS n FROM assistants WHERE team_id = $1 AND description LIKE 'E2E %'")).toBe(0);
      if (javaScriptEnabled) {
        expect(await stayed(page)).toBe(true);
        expect(await allViolations(page)).toEqual([]);
      }

      // The summary's link takes the person to the field; fixed, the form goes through.
      await summary.getByRole('link', { name: 'Give the assistant a name.' }).click();
      expect(await isFocused(page, '#assistant-name')).toBe(true);
      await page.getByLabel('Name', { exact: true }).fill('E2E Helper');
      await page.getByRole('button', { name: 'Create assistant' }).click();
      await page.getByRole('heading', { name: 'E2E Helper' }).waitFor();
      expect(await page.locator('#new-assistant-form-errors').count()).toBe(0);
      expect(await count("SELECT count(*) AS n FROM assistants WHERE team_id = $1 AND description LIKE 'E2E %'")).toBe(1);
      await context.close();
    });

    it('adding an API key with a space in it: the message beside the key, the label kept, the key not', async () => {
      const url = `/app/team/${teamId}/integrations`;
      const { context, page } = await openSignedIn(running, url, { javaScriptEnabled });
      if (javaScriptEnabled) await mark(page);
      const panel = page.locator('#api-keys-tavily');
      await panel.getByText('Add key').click();
      await panel.getByLabel('Label').fill('E2E production');
      await panel.getByLabel('API key').fill('tvly-has a space');
      await panel.getByRole('button', { name: /^Add .* key$/ }).click();

      const summary = panel.getByRole('alert').filter({ hasText: 'There is a problem' });
      await summary.waitFor();
      await expectMessageBeside(page, 'key-value-tavily', 'An API key has no spaces in it: paste only the key.');
      expect(await panel.getByLabel('Label').inputValue()).toBe('E2E production');
      expect(await panel.getByLabel('Label').getAttribute('aria-invalid')).toBeNull();
      expect(await panel.getByLabel('API key').inputValue()).toBe('');
      expect(await isFocused(page, '#add-key-tavily-errors')).toBe(true);
      expect(await panel.locator('details').getAttribute('open')).not.toBeNull();
      expect(await count("SELECT count(*) AS n FROM api_key_connections WHERE team_id = $1 AND label LIKE 'E2E %'")).toBe(0);
      if (javaScriptEnabled) {
        expect(await stayed(page)).toBe(true);
        expect(new URL(page.url()).pathname).toBe(url);
        expect(await allViolations(page)).toEqual([]);
      }

      await panel.getByLabel('API key').fill('tvly-0123456789abcdef');
      await panel.getByRole('button', { name: /^Add .* key$/ }).click();
      await page.locator('p.flash').getByText('Added the API key "E2E production"', { exact: false }).waitFor();
      expect(await count("SELECT count(*) AS n FROM api_key_connections WHERE team_id = $1 AND label LIKE 'E2E %'")).toBe(1);
      await context.close();
    });

    it('adding Tavily without choosing a key: the picker again, the message beside the choices', async () => {
      await createApiKeyConnection(running.t.db, teamId, 'tavily', 'E2E first key');
      await createApiKeyConnection(running.t.db, teamId, 'tavily', 'E2E second key');
      const sales = (
        await running.t.db.withOwner((tx) =>
          tx.one<{ id: number }>("SELECT id FROM assistants WHERE team_id = $1 AND name = 'Sales Assistant'", [teamId]),
        )
      ).id;
      const { context, page } = await openSignedIn(running, `/app/team/${teamId}/assistant/${sales}/integrations`, { javaScriptEnabled });
      await page.locator('#integration-tavily').getByRole('button', { name: 'Add Tavily Search' }).click();
      // With JavaScript the picker is a dialog over the page; without, a page of its own.
      const picker = javaScriptEnabled ? page.getByRole('dialog') : page.locator('main');
      await picker.getByRole('button', { name: 'Add Tavily Search' }).click();

      const summary = picker.getByRole('alert').filter({ hasText: 'There is a problem' });
      await summary.waitFor();
      expect(await summary.getByRole('link', { name: 'Choose which connection Tavily Search should use.' }).getAttribute('href')).toBe(
        '#picker-connections',
      );
      const group = page.locator('#picker-connections');
      expect(await group.getAttribute('aria-invalid')).toBe('true');
      expect(await group.getAttribute('aria-describedby')).toBe('picker-connections-error');
      expect(await page.locator('#picker-connections > legend + #picker-connections-error').count()).toBe(1);
      expect(await isFocused(page, '#picker-form-errors')).toBe(true);
      expect(await count('SELECT count(*) AS n FROM assistant_integrations WHERE team_id = $1 AND api_connection_id IS NOT NULL')).toBe(0);
      if (javaScriptEnabled) {
        expect(await page.getByRole('dialog').isVisible()).toBe(true);
        expect(await allViolations(page)).toEqual([]);
      }

      await picker.getByRole('radio', { name: /E2E second key/ }).check();
      await picker.getByRole('button', { name: 'Add Tavily Search' }).click();
      await page.locator('p.flash').getByText('Added Tavily Search', { exact: false }).waitFor();
      expect(await count('SELECT count(*) AS n FROM assistant_integrations WHERE team_id = $1 AND api_connection_id IS NOT NULL')).toBe(1);
      await context.close();
    });
  });
}
