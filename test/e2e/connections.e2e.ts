import type { Page } from 'playwright-core';
import { createComposioGateway } from '../../server/composio/client';
import { demoAccounts, startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { seriousViolations } from './axe';
import { openSignedIn, screenshot, startApp, type Running } from './browser';

let running: Running;
let fake: FakeComposio;
let teamId: number;
let composioUserId: string;

beforeAll(async () => {
  fake = await startFakeComposio();
  running = await startApp({ composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 5000 }) });
  const team = await running.t.db.withOwner((tx) =>
    tx.one<{ id: number; composio_user_id: string }>("SELECT id, composio_user_id FROM teams WHERE name = 'Demo Team'"),
  );
  teamId = team.id;
  composioUserId = team.composio_user_id;
});
afterAll(async () => {
  await running.close();
  await fake.close();
});
beforeEach(async () => {
  fake.reset();
  fake.setAccounts(demoAccounts(composioUserId));
  await running.t.db.withOwner((tx) => tx.query('DELETE FROM oauth2_connections WHERE team_id = $1', [teamId]));
});

const card = (page: Page, slug: string) => page.locator(`#provider-${slug}`);
/** The Enable/Disable switch of a provider, found by its state: on (checked) or off. */
const switchOf = (page: Page, slug: string, on: boolean) =>
  card(page, slug).getByRole('switch', { name: /^Enabled for assistants/, checked: on });

const openPage = (javaScriptEnabled: boolean) => openSignedIn(running, `/app/team/${teamId}/integrations`, { javaScriptEnabled });

describe('with JavaScript', () => {
  it('syncs with a loading state that cannot be pressed twice, then shows the flash and the statuses', async () => {
    const { context, page, errors } = await openPage(true);
    fake.setDelayMs(700);
    const sync = page.getByRole('button', { name: 'Sync from Composio' });
    await sync.click();
    const busy = page.getByRole('button', { name: 'Syncing…' });
    await busy.waitFor();
    expect(await busy.isDisabled()).toBe(true);
    await page
      .locator('p.flash')
      .getByText('Synced: 4 added, 0 removed, 0 unchanged. Google Calendar needs a reconnect in Composio: no account is active.')
      .waitFor();
    expect(fake.requests.filter((r) => r.method === 'GET').length).toBe(1);
    await card(page, 'gmail').getByText('Connected', { exact: true }).waitFor();
    await card(page, 'gmail').getByText('ops@example.com').waitFor();
    await card(page, 'googlecalendar').getByText('Needs reconnect').waitFor();
    await card(page, 'linear').getByText('Not connected').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'team-integrations');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opens How to connect in a dialog and closes it with Esc, returning focus', async () => {
    const { context, page } = await openPage(true);
    const howTo = card(page, 'linear').getByRole('button', { name: 'How to connect Linear' });
    await howTo.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Connect Linear' });
    await dialog.waitFor();
    await dialog.getByRole('link', { name: /Open the Composio dashboard/ }).waitFor();
    expect(await seriousViolations(page, '#connect-dialog')).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => document.activeElement?.textContent?.includes('How to connect Linear'));
    await context.close();
  });

  it('disables and enables a provider, and revokes it after confirmation', async () => {
    const { context, page } = await openPage(true);
    await page.getByRole('button', { name: 'Sync from Composio' }).click();
    await page
      .locator('p.flash')
      .getByText(/^Synced:/)
      .waitFor();
    await switchOf(page, 'github', true).click();
    await card(page, 'github').getByText('Connected, disabled here').waitFor();
    await switchOf(page, 'github', false).click();
    await card(page, 'github').getByText('Connected', { exact: true }).waitFor();

    await card(page, 'notion').getByRole('link', { name: 'Revoke Notion' }).click();
    await page.getByRole('heading', { name: 'Revoke Notion?' }).waitFor();
    await page.getByRole('button', { name: 'Revoke Notion' }).click();
    await page
      .locator('p.flash')
      .getByText(/^Revoked Notion/)
      .waitFor();
    await card(page, 'notion').getByText('Not connected').waitFor();
    expect(fake.revokedIds).toEqual(['ca_demo_notion']);
    await context.close();
  });
});

describe('without JavaScript', () => {
  it('syncs, explains how to connect on a page, toggles and revokes', async () => {
    const { context, page } = await openPage(false);
    await page.getByRole('button', { name: 'Sync from Composio' }).click();
    await page
      .locator('p.flash')
      .getByText('Synced: 4 added, 0 removed, 0 unchanged. Google Calendar needs a reconnect in Composio: no account is active.')
      .waitFor();

    await card(page, 'linear').getByRole('button', { name: 'How to connect Linear' }).click();
    await page.getByRole('heading', { name: 'Connect Linear' }).waitFor();
    await page.getByRole('link', { name: 'Close' }).click();
    await page.getByRole('heading', { name: /^Integrations of/ }).waitFor();

    await switchOf(page, 'github', true).click();
    await card(page, 'github').getByText('Connected, disabled here').waitFor();

    await card(page, 'gmail').getByRole('link', { name: 'Revoke Gmail' }).click();
    await page.getByRole('button', { name: 'Revoke Gmail' }).click();
    await page
      .locator('p.flash')
      .getByText(/^Revoked Gmail/)
      .waitFor();
    await card(page, 'gmail').getByText('Not connected').waitFor();
    await context.close();
  });

  it('shows why when Composio fails, and changes nothing', async () => {
    const { context, page } = await openPage(false);
    fake.failAlways({ status: 500, message: 'Composio is having a bad day' });
    await page.getByRole('button', { name: 'Sync from Composio' }).click();
    await page
      .locator('p.flash')
      .getByText(/Composio is having a bad day\. Nothing was changed\./)
      .waitFor();
    await card(page, 'gmail').getByText('Not connected').waitFor();
    await context.close();
  });
});
