import type { Page } from 'playwright-core';
import { createApiKeyConnection, createOAuth2Connection } from '../helpers/fixtures';
import { newPage, signInAsDemo, startApp, type Running } from './browser';

/**
 * Every page reads at phone width: nothing scrolls sideways at 320 px or 390 px, with JavaScript on
 * and off, even once the team has API keys with long labels (tables) and long account names.
 */
let running: Running;
let teamId: number;
let assistantId: number;
let keyId: number;
const created: { apiKeys: number[]; oauth2: number[] } = { apiKeys: [], oauth2: [] };

beforeAll(async () => {
  running = await startApp();
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
  assistantId = (
    await running.t.db.withOwner((tx) =>
      tx.one<{ id: number }>("SELECT id FROM assistants WHERE team_id = $1 AND name = 'Sales Assistant'", [teamId]),
    )
  ).id;
  keyId = await createApiKeyConnection(running.t.db, teamId, 'tavily', 'A rather long label for the production search key of the team');
  created.apiKeys.push(keyId, await createApiKeyConnection(running.t.db, teamId, 'github', 'Fine-grained token for the organisation'));
  created.oauth2.push(
    await createOAuth2Connection(running.t.db, teamId, 'gmail', {
      identity: 'a.very.long.mailbox.name.for.the.operations.team@example-company.test',
    }),
  );
}, 60_000);
// The browser tests share one database and the demo team: leave it as it was found.
afterAll(async () => {
  await running.t.db.withOwner(async (tx) => {
    await tx.query('DELETE FROM api_key_connections WHERE id = ANY ($1::int[])', [created.apiKeys]);
    await tx.query('DELETE FROM oauth2_connections WHERE id = ANY ($1::int[])', [created.oauth2]);
  });
  await running.close();
});

const pages = () => [
  `/app/team/${teamId}/assistants`,
  `/app/team/${teamId}/assistant/${assistantId}/integrations`,
  `/app/team/${teamId}/integrations`,
  `/app/team/${teamId}/integrations/linear/connect`,
  `/app/team/${teamId}/integrations/api-keys/${keyId}/delete`,
];

async function sidewaysOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; wide: string[] }> {
  return page.evaluate(() => {
    const root = document.documentElement;
    // The elements that stick out past the right edge, to say what broke.
    const wide = Array.from(document.querySelectorAll('body *'))
      .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && el.getBoundingClientRect().width > 0)
      .slice(0, 5)
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${Array.from(el.classList).join('.')} ${el.parentElement?.tagName} ${Math.round(el.getBoundingClientRect().left)}-${Math.round(el.getBoundingClientRect().right)}`,
      );
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide };
  });
}

describe.each([
  [320, true],
  [320, false],
  [390, true],
])('at %i px wide (JavaScript %s)', (width, javaScriptEnabled) => {
  it('no page scrolls sideways', async () => {
    const { context, page } = await newPage(running, { javaScriptEnabled });
    await page.setViewportSize({ width, height: 800 });
    await signInAsDemo(page);
    for (const url of pages()) {
      await page.goto(url);
      const overflow = await sidewaysOverflow(page);
      expect({ url, ...overflow }).toEqual({ url, scrollWidth: overflow.clientWidth, clientWidth: width, wide: [] });
    }
    await context.close();
  });
});

it('puts the icon and name first and the status below them in a row on a phone', async () => {
  const { context, page } = await newPage(running, { javaScriptEnabled: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await signInAsDemo(page);
  await page.goto(`/app/team/${teamId}/assistant/${assistantId}/integrations`);
  const row = page.locator('#integration-gmail');
  const [icon, title, description, status] = await Promise.all([
    row.locator('.icon').boundingBox(),
    row.locator('.row-title').boundingBox(),
    row.locator('.row-main p.muted').first().boundingBox(),
    row.locator('.status').boundingBox(),
  ]);
  expect(icon!.x).toBeLessThan(title!.x); // icon, then the name beside it
  expect(status!.y).toBeGreaterThan(description!.y); // status below the description
  expect(description!.width).toBeGreaterThan(250); // the description is not squeezed
  await context.close();
});

describe('with a dozen categories or more', () => {
  // A catalog beyond the demo's seven categories, for this test only (the browser tests share the database).
  const extra = [
    'Customer relationship management',
    'Finance',
    'Marketing',
    'Support',
    'Storage',
    'Analytics',
    'Communication',
    'Design',
  ].map((category, i) => ({ slug: `e2e_category_${i}`, label: `E2E ${category} tool`, category, position: 100 + i }));
  beforeAll(async () => {
    await running.t.db.withOwner(async (tx) => {
      for (const row of extra)
        await tx.query(
          `INSERT INTO integrations (slug, label, icon, category, category_position, position, description, auth)
           VALUES ($1, $2, 'E2', $3, $4, 1, 'A tool of a category the demo does not have.', 'api_key')`,
          [row.slug, row.label, row.category, row.position],
        );
    });
  });
  afterAll(async () => {
    await running.t.db.withOwner((tx) =>
      tx.query('DELETE FROM integrations WHERE slug = ANY ($1::text[])', [extra.map((row) => row.slug)]),
    );
  });

  it.each([true, false])('wraps the category chips at 320 px, nothing scrolls sideways (JavaScript %s)', async (javaScriptEnabled) => {
    const { context, page } = await newPage(running, { javaScriptEnabled });
    await page.setViewportSize({ width: 320, height: 800 });
    await signInAsDemo(page);
    for (const url of [`/app/team/${teamId}/assistant/${assistantId}/integrations`, `/app/team/${teamId}/integrations`]) {
      await page.goto(url);
      const chips = page.getByRole('group', { name: 'Category' }).getByRole('radio');
      const values = await Promise.all((await chips.all()).map((chip) => chip.getAttribute('value')));
      expect(values.length).toBeGreaterThanOrEqual(13); // All, the demo's six or seven, the extra eight
      expect(values).toEqual(expect.arrayContaining(['', ...extra.map((row) => row.category)]));
      const overflow = await sidewaysOverflow(page);
      expect({ url, ...overflow }).toEqual({ url, scrollWidth: overflow.clientWidth, clientWidth: 320, wide: [] });
      // Several lines of chips, each inside the screen (measured on the chips' labels, which stay visible).
      const boxes = await Promise.all((await page.locator('.category-chips .chip').all()).map(async (chip) => (await chip.boundingBox())!));
      expect(new Set(boxes.map((box) => Math.round(box.y))).size).toBeGreaterThan(2);
      expect(boxes.filter((box) => box.x < 0 || box.x + box.width > 320)).toEqual([]);
    }
    await context.close();
  });
});
