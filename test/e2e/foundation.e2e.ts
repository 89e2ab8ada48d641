import { newPage, signInAsDemo, startApp, type Running } from './browser';

let running: Running;
beforeAll(async () => {
  running = await startApp();
});
afterAll(() => running.close());

describe.each([
  ['with JavaScript', true],
  ['without JavaScript', false],
])('sign in as the demo user %s', (_label, javaScriptEnabled) => {
  it('shows the Demo Team’s assistants, and creating one shows a flash', async () => {
    const { context, page } = await newPage(running, { javaScriptEnabled });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await signInAsDemo(page);
    await page.getByRole('heading', { name: 'Assistants', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Sales Assistant', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Support Assistant', exact: true }).waitFor();

    const name = `Research ${javaScriptEnabled ? 'JS' : 'no JS'}`;
    await page.getByLabel('Name').fill(name);
    await page.getByRole('button', { name: 'Create assistant' }).click();
    await page.locator('p.flash').getByText(`Created ${name}.`).waitFor();
    await page.getByRole('link', { name, exact: true }).waitFor();
    expect(page.url()).toMatch(/\/app\/team\/\d+\/assistants$/);
    expect(errors).toEqual([]);
    await context.close();
  });
});
