import { loadConfig } from '../config';
import { openDatabase } from './open';

/** npm run migrate: applies pending migrations to DATABASE_URL or the embedded database. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config, { logger: { info: (msg) => console.log(msg) } });
  console.log(`Database is up to date (${db.description}).`);
  await db.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
