/**
 * npm run demo: Switchboard on the embedded database together with the fake Composio from
 * test/fakes, loaded with sample connected accounts and tools, so Sync from Composio and MCP
 * clients work without a Composio account. The pages say that the accounts are demo data.
 */
import path from 'node:path';
import { demoAccounts, startFakeComposio } from '../test/fakes/composio-server';

const DEMO_COMPOSIO_USER = 'demo';

async function main(): Promise<void> {
  const fake = await startFakeComposio();
  fake.setAccounts(demoAccounts(DEMO_COMPOSIO_USER));
  Object.assign(process.env, {
    COMPOSIO_API_KEY: fake.apiKey,
    COMPOSIO_BASE_URL: fake.url,
    COMPOSIO_USER_ID: DEMO_COMPOSIO_USER,
    DEMO_MODE: '1',
    DATA_DIR: process.env.DATA_DIR ?? path.resolve('data', 'demo'),
  });
  console.log(`Demo: a stand-in for Composio is serving sample accounts and tools at ${fake.url}.`);
  console.log('MCP: create a token on an assistant\'s page; the endpoint is /mcp/assistants/<id> (see README).');
  // The app's own entry point, reading the environment set above.
  require('../server/index');
}

void main();
