import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { acquireEmbeddedLock } from './embedded-lock';

/**
 * The embedded default database: PGlite with its files in DATA_DIR, served on 127.0.0.1 through
 * pglite-socket so the app uses the same pg code path as with a real server. PGlite runs in a
 * worker thread, so statements execute beside the request thread rather than on it.
 * See docs/decisions/001-embedded-database.md.
 */

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

export { EmbeddedDatabaseBusyError } from './embedded-lock';

// The worker's code as text (CommonJS), so it runs the same from sources (tsx, ts-jest) and from dist/.
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const { PGLiteSocketServer } = require(workerData.pgliteSocket);
(async () => {
  // Compiled here, the module's 9 MB of bytes are garbage at once; read by PGlite, they outlived
  // start-up in the old generation (docs/decisions/001-embedded-database.md).
  const pgliteWasmModule = await WebAssembly.compile(fs.readFileSync(workerData.pgliteWasm));
  const db = await PGlite.create(workerData.pgdata, { postgresqlconf: workerData.settings, pgliteWasmModule });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  parentPort.on('message', async (message) => {
    if (message !== 'stop') return;
    await server.stop();
    await db.close();
    parentPort.postMessage({ stopped: true });
  });
  parentPort.postMessage({ port: Number(server.getServerConn().split(':').pop()) });
})().catch((error) => parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) }));
`;

/**
 * PostgreSQL's shared_buffers default (128 MB) is sized for a server of its own; inside the app's
 * process it is most of the memory the embedded database takes (the app measured 450-510 MB
 * resident with it). A small team's data fits in 16 MB, and pages read past it come from the
 * operating system's file cache (docs/decisions/001-embedded-database.md).
 */
const EMBEDDED_SETTINGS = ['shared_buffers = 16MB'];

/**
 * The worker's young generation, capped at 12 MB (4 MB semi-spaces, where V8 grows them to 16 MB
 * under load as for the request thread): the worker's JavaScript only passes protocol messages
 * between the socket and PGlite. Measured no slower (docs/decisions/001-embedded-database.md).
 */
const WORKER_YOUNG_GENERATION_MB = 12;

/** Takes the data directory's lock before PGlite opens a file; refuses with EmbeddedDatabaseBusyError if another process has it. */
export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const lock = acquireEmbeddedLock(dataDir);
  let worker: Worker | undefined;
  try {
    const pgdata = path.join(dataDir, 'pgdata');
    fs.mkdirSync(pgdata, { recursive: true });
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      workerData: {
        pgdata,
        pglite: require.resolve('@electric-sql/pglite'),
        pgliteWasm: path.join(path.dirname(require.resolve('@electric-sql/pglite')), 'pglite.wasm'),
        pgliteSocket: require.resolve('@electric-sql/pglite-socket'),
        // The app uses one connection (see the decision record); a little headroom lets a closing
        // connection finish while the next one opens.
        maxConnections: 4,
        settings: EMBEDDED_SETTINGS,
      },
    });
    const running = worker;
    const port = await new Promise<number>((resolve, reject) => {
      running.once('message', (message: { port?: number; error?: string }) =>
        message.error ? reject(new Error(message.error)) : resolve(message.port!),
      );
      running.once('error', reject);
      running.once('exit', (code) => reject(new Error(`The embedded database stopped while starting (exit code ${code}).`)));
    });
    // If the worker dies later, connections fail and pages answer 503; that must not end the process.
    running.on('error', () => {});
    lock.setPort(port);
    return {
      connectionString: embeddedConnectionString(port),
      async stop() {
        const stopped = new Promise<void>((resolve) => {
          running.once('message', () => resolve());
          running.once('exit', () => resolve());
        });
        running.postMessage('stop');
        await stopped;
        await running.terminate();
        lock.release();
      },
    };
  } catch (error) {
    await worker?.terminate();
    lock.release();
    throw error;
  }
}

export function embeddedConnectionString(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}
