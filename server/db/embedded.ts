import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { acquireEmbeddedLock } from './embedded-lock';

/**
 * The embedded default database: PGlite with its files in DATA_DIR, served on 127.0.0.1 in
 * PostgreSQL's wire protocol so the app uses the same pg code path as with a real server. PGlite
 * runs in a worker thread, so statements execute beside the request thread rather than on it.
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
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
(async () => {
  // Compiled here, the module's 9 MB of bytes are garbage at once; read by PGlite, they outlived
  // start-up in the old generation (docs/decisions/001-embedded-database.md).
  const pgliteWasmModule = await WebAssembly.compile(fs.readFileSync(workerData.pgliteWasm));
  const db = await PGlite.create(workerData.pgdata, { postgresqlconf: workerData.settings, pgliteWasmModule });
  const fileSizesKept = keepFileSizes(db.Module.FS);
  const server = serveSession(db, workerData.maxConnections);
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
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
  parentPort.postMessage({ port: server.address().port, fileSizesKept });
})().catch((error) => parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) }));

// PostgreSQL's wire protocol on 127.0.0.1 for several connections to PGlite's one session. Each
// connection's messages run in exchanges: everything up to a simple query (Q), a Sync (S) or a
// Flush (H), passed to PGlite together, so no other connection's message lands inside one (an
// extended query's Parse, Bind, Execute and Sync, or a transaction's statements). While the session
// is in a transaction block, or after a Flush, only the connection that left it so runs; the others
// wait. A connection that closes in that state has its transaction rolled back.
// See docs/decisions/036-embedded-connections.md.
function serveSession(db, maxConnections) {
  const SSL_REQUEST = 80877103;
  const GSS_REQUEST = 80877104;
  const CANCEL_REQUEST = 80877102;
  const QUERY = 0x51, SYNC = 0x53, FLUSH = 0x48, TERMINATE = 0x58;
  const MAX_STARTUP = 10000;
  const exchanges = []; // { connection, bytes, open }, in arrival order
  let owner = null; // the connection whose transaction (or unfinished exchange) the session is in
  let running = false;
  const connections = new Set();
  const server = net.createServer((socket) => {
    if (connections.size >= maxConnections) return void socket.destroy();
    socket.setNoDelay(true);
    const connection = { socket, buffered: Buffer.alloc(0), started: false, messages: [], closed: false };
    connections.add(connection);
    socket.on('data', (data) => {
      connection.buffered = connection.buffered.length > 0 ? Buffer.concat([connection.buffered, data]) : data;
      if (split(connection)) void run();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      connection.closed = true;
      connections.delete(connection);
      for (let i = exchanges.length - 1; i >= 0; i--) if (exchanges[i].connection === connection) exchanges.splice(i, 1);
      void run(); // rolls back a transaction it left open
    });
  });

  // Moves the connection's complete messages into exchanges; true when one was added.
  function split(connection) {
    let added = false;
    for (;;) {
      const bytes = connection.buffered;
      if (!connection.started) {
        if (bytes.length < 8) return added;
        const length = bytes.readInt32BE(0);
        const code = bytes.readInt32BE(4);
        if (length < 8 || length > MAX_STARTUP) {
          connection.socket.destroy();
          return false;
        }
        if (bytes.length < length) return added;
        connection.buffered = bytes.subarray(length);
        if (code === SSL_REQUEST || code === GSS_REQUEST) {
          connection.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) {
          connection.socket.destroy();
          return false;
        }
        connection.started = true;
        exchanges.push({ connection, bytes: bytes.subarray(0, length), open: false });
        added = true;
        continue;
      }
      if (bytes.length < 5) return added;
      const length = 1 + bytes.readInt32BE(1);
      if (length < 5) {
        connection.socket.destroy();
        return false;
      }
      if (bytes.length < length) return added;
      const type = bytes[0];
      connection.buffered = bytes.subarray(length);
      if (type === TERMINATE) {
        connection.socket.end();
        return added;
      }
      connection.messages.push(bytes.subarray(0, length));
      if (type === QUERY || type === SYNC || type === FLUSH) {
        const messages = connection.messages;
        connection.messages = [];
        exchanges.push({ connection, bytes: messages.length === 1 ? messages[0] : Buffer.concat(messages), open: type === FLUSH });
        added = true;
      }
    }
  }

  async function run() {
    if (running) return;
    running = true;
    try {
      for (;;) {
        if (owner && owner.closed) {
          owner = null;
          if (db.isInTransaction()) await db.exec('ROLLBACK');
        }
        const index = owner ? exchanges.findIndex((exchange) => exchange.connection === owner) : exchanges.length > 0 ? 0 : -1;
        if (index < 0) return;
        const [exchange] = exchanges.splice(index, 1);
        // PGlite hands out views of its own memory, which the next statement overwrites: copied.
        const answer = [];
        try {
          await db.runExclusive(() => db.execProtocolRawStream(exchange.bytes, { onRawData: (chunk) => void answer.push(Buffer.from(chunk)) }));
        } catch {
          exchange.connection.socket.destroy();
          exchange.connection.closed = true;
        }
        owner = db.isInTransaction() || exchange.open ? exchange.connection : null;
        if (exchange.connection.socket.writable && answer.length > 0) exchange.connection.socket.write(answer.length === 1 ? answer[0] : Buffer.concat(answer));
      }
    } finally {
      running = false;
    }
  }

  server.stop = () =>
    new Promise((resolve) => {
      for (const connection of connections) connection.socket.destroy();
      server.close(() => resolve());
    });
  return server;
}

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
        // The app's pool (EMBEDDED_POOL_SIZE in ./open.ts), with headroom for a closing connection
        // to finish while the next one opens, and for the tests' pools.
        maxConnections: 8,
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
