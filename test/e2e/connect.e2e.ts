import type { Page } from 'playwright-core';
import { createComposioGateway } from '../../server/composio/client';
import { startFakeComposio, type FakeComposio } from '../fakes/composio-server';
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
    await tx.query('DELETE FROM prompt_integration WHERE team_id = $1', [teamId]);
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
      await page.locator('#flash').getByText('Connected Gmail (ops@example.com).').waitFor();
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
      await page.locator('#flash').getByText(/^Notion was not connected: Composio reports it failed/).waitFor();
      await card(page, 'notion').getByText('Not connected').waitFor();
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      await context.close();
    });

    it("connects from an assistant's picker and comes back with the new account chosen", async () => {
      const assistant = await running.t.db.withOwner((tx) => tx.one<{ id: number }>("INSERT INTO prompts (team_id, name) VALUES ($1, 'Inbox helper ' || gen_random_uuid()) RETURNING id", [teamId]));
      const gmail = await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM integrations WHERE slug = 'gmail'"));
      const { context, page } = await openSignedIn(running, `/app/team/${teamId}/assistant/${assistant.id}/integrations/add/${gmail.id}`, { javaScriptEnabled });
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      await page.getByRole('button', { name: 'Connect a Gmail account' }).click();
      await page.getByLabel('Account email').fill('helper@example.com');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.locator('#flash').getByText('Connected Gmail (helper@example.com).').waitFor();
      expect(await page.getByRole('radio', { name: /helper@example\.com/ }).isChecked()).toBe(true);
      if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
      await page.getByRole('button', { name: 'Add Gmail' }).click();
      await page.locator('#flash').getByText(/^Added Gmail to Inbox helper .* using helper@example\.com\.$/).waitFor();
      await context.close();
    });
  });
}
