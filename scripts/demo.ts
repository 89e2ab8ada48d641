/**
 * npm run demo: Switchboard on the embedded database together with the fake Composio from
 * test/fakes, loaded with sample connected accounts and tools, so Sync, Connect, Reconnect and MCP
 * clients work without a Composio account, and expiry arrives by a signed webhook from the
 * stand-in's control page. The pages say that the accounts are demo data.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { demoAccounts, startFakeComposio } from '../test/fakes/composio-server';

const DEMO_COMPOSIO_USER = 'demo';

async function main(): Promise<void> {
  const fake = await startFakeComposio();
  fake.setAccounts(demoAccounts(DEMO_COMPOSIO_USER));
  const port = process.env.PORT ?? '3000';
  const webhookSecret = process.env.COMPOSIO_WEBHOOK_SECRET ?? `whsec_demo_${randomBytes(16).toString('hex')}`;
  fake.webhookTarget = { url: `http://127.0.0.1:${port}/webhooks/composio`, secret: webhookSecret };
  Object.assign(process.env, {
    PORT: port,
    COMPOSIO_API_KEY: fake.apiKey,
    COMPOSIO_BASE_URL: fake.url,
    COMPOSIO_USER_ID: DEMO_COMPOSIO_USER,
    COMPOSIO_WEBHOOK_SECRET: webhookSecret,
    SYNC_INTERVAL: process.env.SYNC_INTERVAL ?? '1',
    DEMO_MODE: '1',
    LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
    DATA_DIR: process.env.DATA_DIR ?? path.resolve('data', 'demo'),
  });
  console.log(`Demo: a stand-in for Composio is serving sample accounts and tools at ${fake.url}.`);
  console.log(`Demo: expire an account (Composio then sends a signed webhook) at ${fake.url}/demo`);
  console.log("MCP: create a token on an assistant's page; the endpoint is /mcp/assistants/<id> (see README).");
  // The app's own entry point, reading the environment set above.
  require('../server/index');
}

void main();
