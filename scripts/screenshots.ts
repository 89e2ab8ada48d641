/**
 * npm run screenshots: the README's screenshots, taken from `npm run demo` (the app against the
 * fake Composio, on a fresh data directory) at 1280x800 and at phone size 390x844: an assistant's
 * integrations and the team integrations page, after a sync, with an API key, and Gmail, Tavily and
 * the Calculator added to the Sales Assistant. Writes docs/screenshots/*.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM, LAUNCH_ARGS } from '../test/e2e/chromium';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'docs', 'screenshots');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const EMAIL = 'demo@example.com';
const PASSWORD = 'screenshots-demo-password';
// On a phone the top of a page is its heading and filters; the list shows what the page is for.
const SIZES = [
  { suffix: '', viewport: { width: 1280, height: 800 }, scrollTo: null },
  { suffix: '-phone', viewport: { width: 390, height: 844 }, scrollTo: '#integration-list' },
];

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-screenshots-'));
  const demo = spawn(TSX, ['scripts/demo.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, DEMO_PASSWORD: PASSWORD, SYNC_INTERVAL: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
  try {
    const baseURL = await runningAt(demo);
    const context = await browser.newContext({ baseURL });
    const page = await context.newPage();
    const { team, assistant } = await prepare(page);
    fs.mkdirSync(OUT, { recursive: true });
    for (const { suffix, viewport, scrollTo } of SIZES) {
      await page.setViewportSize(viewport);
      await shoot(page, assistant, scrollTo, `assistant-integrations${suffix}.png`);
      await shoot(page, `${team}/integrations`, scrollTo, `team-integrations${suffix}.png`);
    }
    await context.close();
  } finally {
    await browser.close();
    demo.kill('SIGTERM');
    await new Promise((resolve) => demo.once('exit', resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The demo's address, from the line every start prints. */
function runningAt(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running at (http:\/\/localhost:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`npm run demo exited (${code}) before it was running:\n${out}`)));
  });
}

/** Signs in, syncs, adds a Tavily key, and adds Gmail, Tavily and the Calculator to the Sales Assistant. */
async function prepare(page: Page): Promise<{ team: string; assistant: string }> {
  await page.setViewportSize(SIZES[0]!.viewport);
  await page.goto('/login');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/assistants$/);
  const team = new URL(page.url()).pathname.replace(/\/assistants$/, '');

  await page.goto(`${team}/integrations`);
  await page.getByRole('button', { name: 'Sync from Composio' }).click();
  await page
    .locator('#flash')
    .getByText(/^Synced/)
    .waitFor();
  await page.locator('#api-keys-tavily summary').click();
  await page.locator('#key-label-tavily').fill('Research key');
  await page.locator('#key-value-tavily').fill('tvly-demo-0123456789abcdef');
  await page.locator('#add-key-tavily').getByRole('button').click();
  // The message is shown in the row the change was about.
  await page
    .locator('#api-keys-tavily')
    .getByText(/Research key/)
    .first()
    .waitFor();

  await page.goto(`${team}/assistants`);
  await page.getByRole('link', { name: 'Sales Assistant' }).first().click();
  await page.waitForURL(/\/integrations$/);
  const assistant = new URL(page.url()).pathname;
  for (const label of ['Gmail', 'Tavily Search', 'Calculator']) {
    await page.getByRole('button', { name: `Add ${label}`, exact: true }).click();
    const picker = page.locator('#picker[open]');
    // Integrations that need credentials open the picker; the one connection is chosen already.
    if (
      await picker.waitFor({ timeout: 2000 }).then(
        () => true,
        () => false,
      )
    ) {
      await picker.getByRole('button', { name: `Add ${label}` }).click();
    }
    await page
      .locator(`#integration-${label === 'Tavily Search' ? 'tavily' : label.toLowerCase()} .status`)
      .getByText('Added')
      .waitFor();
  }
  return { team, assistant };
}

/** One screenful: the top of the page, or from the given element down. */
async function shoot(page: Page, url: string, scrollTo: string | null, file: string): Promise<void> {
  await page.goto(url);
  if (scrollTo) await page.locator(scrollTo).evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 12));
  await page.screenshot({ path: path.join(OUT, file) });
  console.log(`docs/screenshots/${file}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
