import type { Page } from 'playwright-core';
import { mcpClient, textOf } from '../mcp/helpers';
import { seriousViolations } from './axe';
import { openSignedIn, screenshot, startApp, type Running } from './browser';

let running: Running;
let teamId: number;
let support: number;

beforeAll(async () => {
  running = await startApp();
  teamId = (await running.t.db.withOwner((tx) => tx.one<{ id: number }>("SELECT id FROM teams WHERE name = 'Demo Team'"))).id;
  support = (
    await running.t.db.withOwner((tx) =>
      tx.one<{ id: number }>("SELECT id FROM assistants WHERE team_id = $1 AND name = 'Support Assistant'", [teamId]),
    )
  ).id;
  await running.t.db.withOwner((tx) =>
    tx.query(
      `INSERT INTO assistant_integrations (team_id, assistant_id, integration_id)
       SELECT $1, $2, id FROM integrations WHERE slug IN ('calculator', 'web_browser') ON CONFLICT DO NOTHING`,
      [teamId, support],
    ),
  );
});
afterAll(() => running.close());

/**
 * axe-core on these parts of the page (with JavaScript on: it runs as a script in the page). The
 * page's own errors are checked first; axe's inline styles, which the CSP blocks, are not the app's.
 */
async function noSeriousViolations(page: Page, errors: string[], javaScriptEnabled: boolean, sections: string[]) {
  expect(errors).toEqual([]);
  if (!javaScriptEnabled) return;
  for (const section of sections) expect(await seriousViolations(page, section)).toEqual([]);
  errors.length = 0;
}

const pageUrl = () => `/app/team/${teamId}/assistant/${support}/integrations`;

describe.each([true, false])('the MCP sections with JavaScript %s', (javaScriptEnabled) => {
  it('create a token shown once, use it, see the call, untick a tool, revoke the token; no serious axe violations', async () => {
    const { context, page, errors } = await openSignedIn(running, pageUrl(), { javaScriptEnabled });
    const name = `Desktop client ${javaScriptEnabled ? 'js' : 'nojs'}`;
    await page.getByLabel('Token name').fill(name);
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('heading', { name: `Token “${name}” for Support Assistant` }).waitFor();
    const token = await page.getByLabel('Token').inputValue();
    expect(token).toMatch(/^sbm_/);
    await noSeriousViolations(page, errors, javaScriptEnabled, ['main']);

    const client = await mcpClient(`${running.url}/mcp/assistants/${support}`, token);
    expect(textOf(await client.callTool({ name: 'CALCULATOR_EVALUATE', arguments: { expression: '6 * 7' } }))).toBe('42');
    await client.close();

    await page.getByRole('link', { name: 'Back to Support Assistant' }).click();
    await page.getByRole('heading', { name: 'Use this assistant from an MCP client' }).waitFor();
    const calls = page.locator('#mcp-calls');
    await calls.getByRole('cell', { name: name }).first().waitFor();
    expect(await calls.getByText('CALCULATOR_EVALUATE').count()).toBeGreaterThan(0);
    await noSeriousViolations(page, errors, javaScriptEnabled, ['#mcp-access', '#mcp-tools', '#mcp-calls']);
    if (javaScriptEnabled) await screenshot(page, 'assistant-mcp-sections');

    const calculator = page.locator('#mcp-tools').getByRole('checkbox', { name: /CALCULATOR_EVALUATE/ });
    expect(await calculator.isChecked()).toBe(true);
    await calculator.uncheck();

    await page.getByRole('button', { name: 'Save Calculator tools' }).click();
    await page.locator('p.flash').getByText('Support Assistant may use 0 of 1 Calculator tools.').waitFor();
    expect(
      await page
        .locator('#mcp-tools')
        .getByRole('checkbox', { name: /CALCULATOR_EVALUATE/ })
        .isChecked(),
    ).toBe(false);
    await page
      .locator('#mcp-tools')
      .getByRole('checkbox', { name: /CALCULATOR_EVALUATE/ })
      .check();
    await page.getByRole('button', { name: 'Save Calculator tools' }).click();
    await page.locator('p.flash').getByText('Support Assistant may use 1 of 1 Calculator tools.').waitFor();

    await page.getByRole('button', { name: `Revoke token ${name}` }).click();
    await page.locator('p.flash').getByText(`Revoked the token "${name}".`, { exact: false }).waitFor();
    const res = await fetch(`${running.url}/mcp/assistants/${support}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(401);
    expect(errors).toEqual([]);
    await context.close();
  });
});
