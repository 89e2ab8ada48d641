import { createAssistant } from '../helpers/app';
import { createOAuth2Connection, integrationId } from '../helpers/fixtures';
import { seriousViolations } from './axe';
import { openSignedIn, screenshot, startApp, type Running } from './browser';

let running: Running;
let teamId: number;

beforeAll(async () => {
  running = await startApp();
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
});
afterAll(() => running.close());

/** A Gmail connection that two assistants use; returns their names. */
beforeEach(async () => {
  await running.t.db.withOwner(async (tx) => {
    await tx.query('DELETE FROM assistant_integrations WHERE team_id = $1 AND oauth2_connection_id IS NOT NULL', [teamId]);
    await tx.query('DELETE FROM oauth2_connections WHERE team_id = $1', [teamId]);
  });
  const conn = await createOAuth2Connection(running.t.db, teamId, 'gmail', { identity: 'ops@example.com' });
  const gmail = await integrationId(running.t.db, 'gmail');
  for (const name of ['Inbox triage', 'Weekly digest']) {
    const assistant = await createAssistant(running.t.db, teamId, `${name} ${Math.random().toString(36).slice(2, 6)}`);
    await running.t.db.withOwner((tx) =>
      tx.query('INSERT INTO assistant_integrations (team_id, assistant_id, integration_id, oauth2_connection_id) VALUES ($1, $2, $3, $4)', [
        teamId,
        assistant.id,
        gmail,
        conn,
      ]),
    );
  }
});

const enabled = () =>
  running.t.db
    .withOwner((tx) =>
      tx.one<{ enabled: boolean }>(
        "SELECT o.enabled FROM oauth2_connections o JOIN integrations i ON i.id = o.integration_id WHERE o.team_id = $1 AND i.slug = 'gmail'",
        [teamId],
      ),
    )
    .then((r) => r.enabled);

describe.each([
  ['without JavaScript', false],
  ['with JavaScript', true],
])('disabling a connection that assistants use, %s', (_label, javaScriptEnabled) => {
  it('names the assistants on a confirmation page and disables only when confirmed', async () => {
    const { context, page, errors } = await openSignedIn(running, `/app/team/${teamId}/integrations`, { javaScriptEnabled });
    page.setDefaultTimeout(10000);
    const gmail = page.locator('#provider-gmail');
    await gmail.getByRole('switch', { name: 'Enabled for assistants: Gmail', checked: true }).click();
    await page.getByRole('heading', { name: 'Disable Gmail?' }).waitFor();
    expect(page.url()).toMatch(new RegExp(`/app/team/${teamId}/integrations/gmail/disable$`));
    const names = await page.locator('ul.assistant-names li').allTextContents();
    expect(names.map((n) => n.replace(/ \w{1,4}$/, ''))).toEqual(['Inbox triage', 'Weekly digest']);
    if (javaScriptEnabled) expect(await seriousViolations(page)).toEqual([]); // axe runs as a script; the markup is the same both ways
    if (!javaScriptEnabled) await screenshot(page, 'disable-confirmation');
    expect(await enabled()).toBe(true);

    // Cancel changes nothing.
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'Integrations', exact: false }).first().waitFor();
    expect(await enabled()).toBe(true);

    await gmail.getByRole('switch', { name: 'Enabled for assistants: Gmail', checked: true }).click();
    await page.getByRole('button', { name: 'Disable Gmail' }).click();
    await page
      .locator('p.flash')
      .getByText(/^Disabled Gmail for Demo Team\./)
      .waitFor();
    await page.locator('#provider-gmail').getByText('Connected, disabled here').waitFor();
    expect(page.url()).toMatch(new RegExp(`/app/team/${teamId}/integrations${javaScriptEnabled ? '' : '#provider-gmail'}$`));
    expect(await enabled()).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });
});
