import { createApiKeyConnection } from '../helpers/fixtures';
import { seriousViolations } from './axe';
import { openSignedIn, screenshot, startApp, type Running } from './browser';

let running: Running;
let teamId: number;

beforeAll(async () => {
  running = await startApp();
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
});
afterAll(() => running.close());

/** Two Tavily keys of the demo team, the first used by `count` new assistants. */
async function keysInUse(name: string, count: number) {
  const db = running.t.db;
  const from = await createApiKeyConnection(db, teamId, 'tavily', `Aaa ${name} old`);
  await createApiKeyConnection(db, teamId, 'tavily', `Aaa ${name} new`);
  await db.withOwner((tx) =>
    tx.query(
      `WITH a AS (INSERT INTO assistants (team_id, name) SELECT $1, $3 || ' assistant ' || n FROM generate_series(1, $4::int) n RETURNING id)
       INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, api_connection_id)
       SELECT $1, a.id, (SELECT id FROM integrations WHERE slug = 'tavily'), $2 FROM a`,
      [teamId, from, name, count],
    ),
  );
}

for (const javaScriptEnabled of [false, true]) {
  const name = javaScriptEnabled ? 'scripted' : 'plain';
  it(`moves every assistant of a key to another from "used by" (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
    await keysInUse(name, 7);
    const { context, page, errors } = await openSignedIn(running, `/app/team/${teamId}/integrations`, { javaScriptEnabled });
    await page.getByRole('link', { name: `7 assistants (Aaa ${name} old)` }).click();
    await page.getByRole('heading', { name: `Assistants using Aaa ${name} old` }).waitFor();
    await page.getByRole('link', { name: `${name} assistant 7` }).waitFor();
    if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
    await screenshot(page, `repoint-${name}`);

    await page.getByLabel('Move all to', { exact: true }).selectOption({ label: `Aaa ${name} new (API key)` });
    await page.getByRole('button', { name: 'Move 7 assistants' }).click();
    await page.locator('p.flash').getByText(`Moved 7 assistants from Aaa ${name} old to Aaa ${name} new.`).waitFor();
    await page.getByText(`No assistant uses Aaa ${name} old.`).waitFor();
    if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script
    if (javaScriptEnabled) expect(errors).toEqual([]);
    await context.close();
  });
}
