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
  /**
   * Whether PGlite keeps its data files' sizes between writes (docs/decisions/033): false only if a
   * PGlite release changed the file system this relies on; the database then works as before, slower.
   */
  fileSizesKept: boolean;
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
  const fileSizesKept = keepFileSizes(db.Module.FS);
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
  parentPort.postMessage({ port: Number(server.getServerConn().split(':').pop()), fileSizesKept });
})().catch((error) => parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) }));

// PostgreSQL asks a data file's size (lseek to its end) at every sequential scan's start, and PGlite
// answers each time with an fstat of the file: some 50 per assistant page. Sizes are kept here per
// open file instead, and every file operation that is not a read forgets them all: PostgreSQL
// changes a file only through those (this worker's PGlite is the only one writing the directory,
// under its lock). Returns false, keeping nothing, if PGlite's file system is not as expected.
// See docs/decisions/033-embedded-file-sizes-kept.md.
function keepFileSizes(FS) {
  const nodefs = FS && FS.filesystems && FS.filesystems.NODEFS;
  const streamOps = nodefs && nodefs.stream_ops;
  const nodeOps = nodefs && nodefs.node_ops;
  if (!streamOps || !nodeOps || typeof streamOps.llseek !== 'function' || typeof FS.isFile !== 'function') return false;
  const SEEK_END = 2;
  const EINVAL = 28;
  const sizes = new Map(); // by the open file's descriptor
  const seek = streamOps.llseek;
  streamOps.llseek = function (stream, offset, whence) {
    if (whence !== SEEK_END || !FS.isFile(stream.node.mode)) return seek.call(this, stream, offset, whence);
    let size = sizes.get(stream.nfd);
    if (size === undefined) {
      size = seek.call(this, stream, 0, SEEK_END);
      sizes.set(stream.nfd, size);
    }
    if (offset + size < 0) throw new FS.ErrnoError(EINVAL);
    return offset + size;
  };
  // Operations that change no file; every other one, known today or added later, forgets the sizes.
  const READS = new Set(['llseek', 'read', 'getattr', 'lookup', 'readdir', 'readlink', 'statfs']);
  for (const ops of [streamOps, nodeOps]) {
    for (const name of Object.keys(ops)) {
      const operation = ops[name];
      if (READS.has(name) || typeof operation !== 'function') continue;
      ops[name] = function (...args) {
        sizes.clear();
        return operation.apply(this, args);
      };
    }
  }
  return true;
}
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
    const { port, fileSizesKept } = await new Promise<{ port: number; fileSizesKept: boolean }>((resolve, reject) => {
      running.once('message', (message: { port?: number; fileSizesKept?: boolean; error?: string }) =>
        message.error ? reject(new Error(message.error)) : resolve({ port: message.port!, fileSizesKept: message.fileSizesKept === true }),
      );
      running.once('error', reject);
      running.once('exit', (code) => reject(new Error(`The embedded database stopped while starting (exit code ${code}).`)));
    });
    // If the worker dies later, connections fail and pages answer 503; that must not end the process.
    running.on('error', () => {});
    lock.setPort(port);
    return {
      connectionString: embeddedConnectionString(port),
      fileSizesKept,
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
