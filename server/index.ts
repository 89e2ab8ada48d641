import { createApp } from './app';
import { startInProcessSync, startQueuedSync, type BackgroundSync } from './background/sync';
import { createComposioGateway } from './composio/client';
import { ConfigError, loadConfig } from './config';
import { verifyEncryptionKey } from './crypto/key-check';
import { openDatabase } from './db/open';
import { createAppServer } from './http/server';
import { createLogger, developmentDestination } from './logger';
import { seedDemo } from './seed';
import { startupLine } from './users/sign-in-hint';

/** Entry: loadConfig -> openDatabase (and check the encryption key) -> createApp -> listen. SIGTERM closes everything in order. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(
    config.logLevel,
    config.logFormat === 'pretty' ? developmentDestination((msg) => console.warn(msg)) : undefined,
  );
  const db = await openDatabase(config, { logger: { info: (msg) => logger.info(msg), warn: (msg) => logger.warn(msg) } });
  logger.info(`Database: ${db.description}`);
  try {
    await verifyEncryptionKey(db, config.encryptionKey, config.encryptionKeySource);
  } catch (error) {
    await db.close();
    throw error;
  }

  if (!config.isProduction) await seedDemo(db, config, (msg) => console.log(msg));

  const composio = config.composio.apiKey
    ? createComposioGateway({ apiKey: config.composio.apiKey, baseURL: config.composio.baseURL, logger })
    : null;
  logger.info(
    composio
      ? `Composio: ${config.composio.baseURL ?? 'https://backend.composio.dev'}`
      : 'Composio: not configured (set COMPOSIO_API_KEY to sync connected accounts)',
  );

  const app = createApp({ config, db, logger, composio });
  const server = createAppServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  const address = server.address();
  const url = `http://localhost:${typeof address === 'object' && address ? address.port : config.port}`;
  const line = await startupLine(db, config, url);
  // For the person at the terminal a plain line; in production a log entry like every other.
  if (config.isProduction) logger.info({ url }, line);
  else console.log(line);

  // After the app: the background sync (docs/decisions/014-background-sync.md).
  let background: BackgroundSync | null = null;
  if (composio && config.syncIntervalMinutes > 0) {
    const deps = { db, composio, logger: logger.child({ component: 'background-sync' }) };
    background = config.databaseUrl
      ? await startQueuedSync(deps, { connectionString: config.databaseUrl, intervalMinutes: config.syncIntervalMinutes })
      : startInProcessSync(deps, { intervalMinutes: config.syncIntervalMinutes });
    logger.info(
      `Background sync: every ${config.syncIntervalMinutes === 1 ? 'minute' : `${config.syncIntervalMinutes} minutes`}${config.databaseUrl ? ' (pg-boss queue)' : ' (in this process: embedded database)'}`,
    );
  }

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info(`${signal}: finishing requests and shutting down`);
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    server.close(async () => {
      await background?.stop().catch((error: unknown) => logger.error({ err: error }, 'Background sync did not stop cleanly'));
      await db.close();
      clearTimeout(force);
      logger.info('Shut down cleanly');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
