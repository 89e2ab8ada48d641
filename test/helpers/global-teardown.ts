import fs from 'node:fs';
import type { EmbeddedDatabase } from '../../server/db/embedded';
import { adminQuery } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.SWITCHBOARD_TEST_DB_NAME;
  if (process.env.TEST_DATABASE_URL && name) {
    await adminQuery(process.env.TEST_DATABASE_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  const state = (globalThis as Record<string, unknown>).__switchboardEmbedded as { embedded: EmbeddedDatabase; dir: string } | undefined;
  if (state) {
    await state.embedded.stop();
    fs.rmSync(state.dir, { recursive: true, force: true });
  }
}
