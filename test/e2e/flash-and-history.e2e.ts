import type { Page } from 'playwright-core';
import { createComposioGateway } from '../../server/composio/client';
import { demoAccounts, startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { openSignedIn, startApp, type Running } from './browser';

let running: Running;
let fake: FakeComposio;
let teamId: number;
let sales: number;

beforeAll(async () => {
  fake = await startFakeComposio();
  running = await startApp({ composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 5000 }) });
  const team = await running.t.db.withOwner((tx) =>
    tx.one<{ id: number; composio_user_id: string }>("SELECT id, composio_user_id FROM teams WHERE name = 'Demo Team'"),
  );
  teamId = team.id;
  fake.setAccounts(demoAccounts(team.composio_user_id));
  sales = (
    await running.t.db.withOwner((tx) =>
      tx.one<{ id: number }>("SELECT id FROM assistants WHERE team_id = $1 AND name = 'Sales Assistant'", [teamId]),
    )
  ).id;
});
afterAll(async () => {
  // Leave the demo team as other browser tests expect it: no synced accounts, no Calculator.
  await running.t.db.withOwner(async (tx) => {
    await tx.query(
      "DELETE FROM assistant_integrations WHERE assistant_id = $1 AND integration_id = (SELECT id FROM integrations WHERE slug = 'calculator')",
      [sales],
    );
    await tx.query('DELETE FROM oauth2_connections WHERE team_id = $1', [teamId]);
  });
  await running.close();
  await fake.close();
});
beforeEach(async () => {
  await running.t.db.withOwner((tx) =>
    tx.query(
      "DELETE FROM assistant_integrations WHERE assistant_id = $1 AND integration_id = (SELECT id FROM integrations WHERE slug = 'calculator')",
      [sales],
    ),
  );
});

const pageUrl = () => `/app/team/${teamId}/assistant/${sales}/integrations`;

/**
 * Presses a button and returns the flash messages of the page it lands on, read as soon as that
 * page is there: a marker in the old page is gone (htmx swapped the body, or the browser loaded a
 * new document) and nothing is loading any more.
 */
async function pressAndReadFlash(page: Page, button: ReturnType<Page['getByRole']>): Promise<string[]> {
  await page.evaluate(() => document.getElementById('main')!.insertAdjacentHTML('beforeend', '<i id="old-page-marker"></i>'));
  await button.click();
  await page.locator('#old-page-marker').waitFor({ state: 'detached' });
  await page.waitForLoadState('load');
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping'));
  return (await page.locator('p.flash').allTextContents()).map((text) => text.trim());
}

describe.each([
  ['with JavaScript', true],
  ['without JavaScript', false],
])('%s', (_label, javaScriptEnabled) => {
  it('50 consecutive form posts (sync, add, remove) each show their flash on the page they land on', async () => {
    const { context, page, errors } = await openSignedIn(running, pageUrl(), { javaScriptEnabled });
    const calculator = page.locator('#integration-calculator');
    const steps = [
      { button: () => page.getByRole('button', { name: 'Sync from Composio' }), flash: /^Synced: \d+ added, \d+ removed, \d+ unchanged\b/ },
      { button: () => calculator.getByRole('button', { name: 'Add Calculator' }), flash: /^Added Calculator to Sales Assistant\.$/ },
      { button: () => calculator.getByRole('button', { name: 'Remove Calculator' }), flash: /^Removed Calculator from Sales Assistant\.$/ },
    ];
    const seen: string[][] = [];
    for (let i = 0; i < 50; i++) {
      const step = steps[i % steps.length]!;
      const flash = await pressAndReadFlash(page, step.button());
      seen.push(flash);
      expect([i, flash.length, step.flash.test(flash[0] ?? '')]).toEqual([i, 1, true]);
      expect(new URL(page.url()).pathname).toBe(pageUrl());
    }
    expect(seen).toHaveLength(50);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('Back after signing out shows the sign-in page, not the team’s pages', async () => {
    const { context, page, errors } = await openSignedIn(running, pageUrl(), { javaScriptEnabled });
    await page.getByRole('heading', { name: 'Sales Assistant: integrations' }).waitFor();
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByRole('heading', { name: /Integrations/, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Switchboard' }).waitFor();

    for (let back = 0; back < 2; back++) {
      await page.goBack();
      await page.waitForLoadState('load');
      await page.getByRole('heading', { name: 'Sign in to Switchboard' }).waitFor();
      const text = await page.locator('body').innerText();
      expect(text).not.toContain('Sales Assistant');
      expect(text).not.toContain('Demo Team');
      expect(await page.locator('#main').innerHTML()).not.toContain('integration-');
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
