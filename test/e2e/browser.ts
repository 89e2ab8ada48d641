import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { seedDemo, DEMO_EMAIL, DEMO_TEAM } from '../../server/seed';
import type { ComposioGateway } from '../../server/composio/types';
import { freshDatabase } from '../helpers/fresh-database';
import { makeTestApp, serveApp, type TestApp } from '../helpers/app';
import { CHROMIUM, LAUNCH_ARGS } from './chromium';

export { CHROMIUM } from './chromium';
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-results');
export const DEMO_PASSWORD = 'demo-password-for-e2e';

export interface Running {
  t: TestApp;
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The real app on 127.0.0.1 with the demo team seeded, and a Chromium to drive it. */
export async function startApp(options: { composio?: ComposioGateway | null; config?: Record<string, string> } = {}): Promise<Running> {
  // What one test file leaves in the demo team (accounts, keys, assistants' integrations) must not
  // change what another one sees. On a PostgreSQL server each file gets a database of its own; the
  // embedded database is one for the whole run, so there the demo team is removed and seeded again.
  const fresh = process.env.TEST_DATABASE_URL ? await freshDatabase() : null;
  const t = makeTestApp({ ...options, databaseUrl: fresh?.env.DATABASE_URL });
  if (!fresh) {
    await t.db.withOwner(async (tx) => {
      await tx.query('DELETE FROM teams WHERE name = $1', [DEMO_TEAM]);
      await tx.query('DELETE FROM users WHERE email = $1', [DEMO_EMAIL]);
    });
  }
  await seedDemo(t.db, { ...t.config, demoPassword: DEMO_PASSWORD }, () => {});
  const served = await serveApp(t.app);
  const url = served.base;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
  return {
    t,
    url,
    browser,
    async close() {
      await browser.close();
      await served.close();
      await t.close();
      await fresh?.drop();
    },
  };
}

export async function newPage(
  running: Running,
  options: { javaScriptEnabled?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await running.browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true, baseURL: running.url });
  const page = await context.newPage();
  return { context, page };
}

export async function signInAsDemo(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(DEMO_EMAIL);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/app\/team\/\d+\/assistants$/);
}

/** A new browser context, signed in as the demo user, on the given page; collects page errors. */
export async function openSignedIn(running: Running, url: string, options: { javaScriptEnabled: boolean }) {
  const { context, page } = await newPage(running, options);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await signInAsDemo(page);
  await page.goto(url);
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
