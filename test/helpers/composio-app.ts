import { createComposioGateway, type ComposioGatewayOptions } from '../../server/composio/client';
import { startFakeComposio, type FakeComposio } from '../fakes/composio-server';
import { makeTestApp, type TestApp } from './app';

/**
 * The setup every Composio test file shares: a fresh fake Composio, and the real app with the real
 * SDK pointed at it (only the gateway's limits and the app's settings differ between files).
 */
export async function startAppWithFakeComposio(
  gateway: Omit<ComposioGatewayOptions, 'apiKey' | 'baseURL'> = {},
  config?: Record<string, string>,
): Promise<{ fake: FakeComposio; t: TestApp; close(): Promise<void> }> {
  const fake = await startFakeComposio();
  const t = makeTestApp({ composio: createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url, ...gateway }), config });
  return {
    fake,
    t,
    async close() {
      await t.close();
      await fake.close();
    },
  };
}
