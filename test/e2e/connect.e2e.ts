import type { Page } from 'playwright-core';
import { createComposioGateway } from '../../server/composio/client';
import { startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { createOAuth2Connection } from '../helpers/fixtures';
import { seriousViolations } from './axe';
import { openSignedIn, screenshot, startApp, type Running } from './browser';

let running: Running;
let fake: FakeComposio;
let teamId: number;

beforeAll(async () => {
  fake = await startFakeComposio();
  running = await startApp({ composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, timeoutMs: 5000 }) });
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
});
afterAll(async () => {
  await running.close();
  await fake.close();
});
beforeEach(async () => {
  fake.reset();
  await running.t.db.withOwner(async (tx) => {
    await tx.query('DELETE FROM assistant_integrations WHERE team_id = $1', [teamId]);
    await tx.query('DELETE FROM oauth2_connections WHERE team_id = $1', [teamId]);
  });
});

const card = (page: Page, slug: string) => page.locator(`#provider-${slug}`);

for (const javaScriptEnabled of [true, false]) {
  describe(javaScriptEnabled ? 'with JavaScript' : 'without JavaScript', () => {
    it('connects Gmail through the consent page and comes back with the flash and the status', async () => {
      const { context, page, errors } = await openSignedIn(running, `/app/team/${teamId}/integrations`, { javaScriptEnabled });
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      await card(page, 'gmail').getByRole('button', { name: 'Connect Gmail', exact: true }).click();
      await page.getByRole('heading', { name: 'Connect gmail' }).waitFor();
      expect(page.url().startsWith(fake.url)).toBe(true);
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.locator('p.flash').getByText('Connected Gmail (ops@example.com).').waitFor();
      expect(new URL(page.url()).pathname).toBe(`/app/team/${teamId}/integrations`);
      await card(page, 'gmail').getByText('Connected', { exact: true }).waitFor();
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      if (javaScriptEnabled) await screenshot(page, 'connect-gmail');
      expect(errors).toEqual([]);
      await context.close();
    });

    it('says what went wrong when access is denied', async () => {
      const { context, page } = await openSignedIn(running, `/app/team/${teamId}/integrations`, { javaScriptEnabled });
      await card(page, 'notion').getByRole('button', { name: 'Connect Notion', exact: true }).click();
      await page.getByRole('button', { name: 'Deny' }).click();
      await page
        .locator('p.flash')
        .getByText(/^Notion was not connected: Composio reports it failed/)
        .waitFor();
      await card(page, 'notion').getByText('Not connected', { exact: true }).waitFor();
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      await context.close();
    });

    it("connects from an assistant's picker and comes back with the new account chosen", async () => {
      const assistant = await running.t.db.withOwner((tx) =>
        tx.one<{ id: number }>("INSERT INTO assistants (team_id, name) VALUES ($1, 'Inbox helper ' || gen_random_uuid()) RETURNING id", [
          teamId,
        ]),
      );
      const gmail = await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM integrations WHERE slug = 'gmail'"));
      const { context, page } = await openSignedIn(running, `/app/team/${teamId}/assistant/${assistant.id}/integrations/add/${gmail.id}`, {
        javaScriptEnabled,
      });
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      await page.getByRole('button', { name: 'Connect a Gmail account' }).click();
      await page.getByLabel('Account email').fill('helper@example.com');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.locator('p.flash').getByText('Connected Gmail (helper@example.com).').waitFor();
      expect(await page.getByRole('radio', { name: /helper@example\.com/ }).isChecked()).toBe(true);
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      await page.getByRole('button', { name: 'Add Gmail' }).click();
      await page
        .locator('p.flash')
        .getByText(/^Added Gmail to Inbox helper .* using helper@example\.com\.$/)
        .waitFor();
      await context.close();
    });
  });
}

describe('the page that sends the browser on to Composio', () => {
  it('names the provider, offers the link, and passes axe', async () => {
    const { context, page, errors } = await openSignedIn(running, `/app/team/${teamId}/integrations`, { javaScriptEnabled: true });
    // Composio's site answers 204, so the browser stays on our page long enough to check it.
    await page.route(`${fake.url}/**`, (route) => route.fulfill({ status: 204 }));
    await card(page, 'gmail').getByRole('button', { name: 'Connect Gmail', exact: true }).click();
    await page.getByRole('heading', { name: 'Connecting Gmail' }).waitFor();
    expect(await page.getByRole('link', { name: 'Continue to Composio' }).getAttribute('href')).toMatch(new RegExp(`^${fake.url}/`));
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});

for (const javaScriptEnabled of [true, false]) {
  describe(`a sync that would take a connection away from an assistant, ${javaScriptEnabled ? 'with' : 'without'} JavaScript`, () => {
    it('names the assistant on a confirmation page and syncs once confirmed', async () => {
      const composioUserId = (
        await running.t.db.withOwner((tx) => tx.one<{ id: string }>('SELECT composio_user_id AS id FROM teams WHERE id = $1', [teamId]))
      ).id;
      const github = { id: `gh_${teamId}`, userId: composioUserId, toolkit: 'github', email: 'bot@example.com' };
      fake.setAccounts([{ id: `gm_${teamId}`, userId: composioUserId, toolkit: 'gmail', email: 'ops@example.com' }, github]);
      const { context, page, errors } = await openSignedIn(running, `/app/team/${teamId}/integrations`, { javaScriptEnabled });
      await page.getByRole('button', { name: 'Sync from Composio' }).click();
      await page
        .locator('#flash')
        .getByText(/^Synced: 2 added/)
        .waitFor();
      const name = `Mail sorter ${Math.random().toString(36).slice(2, 6)}`;
      await running.t.db.withOwner((tx) =>
        tx.query(
          `WITH p AS (INSERT INTO assistants (team_id, name) VALUES ($1, $2) RETURNING id)
           INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, oauth2_connection_id)
           SELECT $1, p.id, o.integration_id, o.id FROM p, oauth2_connections o WHERE o.team_id = $1 AND o.composio_toolkit = 'gmail'`,
          [teamId, name],
        ),
      );

      fake.setAccounts([github]);
      await page.reload();
      await page.getByRole('button', { name: 'Sync from Composio' }).click();
      await page.getByRole('heading', { name: 'Take connections away from assistants?' }).waitFor();
      await page.getByRole('link', { name }).waitFor();
      await page.getByText('Gmail (ops@example.com)', { exact: false }).waitFor();
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      await page.getByRole('button', { name: 'Sync and take them away' }).click();
      await page.locator('#flash').getByText('Synced: 0 added, 1 removed, 1 unchanged').waitFor();
      expect(new URL(page.url()).pathname).toBe(`/app/team/${teamId}/integrations`);
      expect(errors).toEqual([]);
      await context.close();
    });
  });
}

describe('the sync confirmation page', () => {
  it('says why a sync would remove every connection, and passes axe', async () => {
    await createOAuth2Connection(running.t.db, teamId, 'gmail', { identity: 'ops@example.com' }); // Composio lists nothing
    const { context, page, errors } = await openSignedIn(running, `/app/team/${teamId}/integrations/sync/confirm`, {
      javaScriptEnabled: true,
    });
    await page.getByRole('heading', { name: 'Remove every connection?' }).waitFor();
    await page.getByText('connected under another Composio user id', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Sync and remove every connection' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
