import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * The embedded default database: PGlite with its files in DATA_DIR, served on 127.0.0.1 through
 * pglite-socket so the app uses the same pg code path as with a real server.
 * See docs/decisions/001-embedded-database.md.
 */

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

interface LockFile {
  pid: number;
  port: number;
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(readonly lock: LockFile, dataDir: string) {
    super(
      `The embedded database in ${dataDir} is in use by another Switchboard process (pid ${lock.pid}). ` +
        'Stop that process first (Ctrl+C in its terminal), then run this again; or set DATABASE_URL to use a PostgreSQL server.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const lockPath = lockFilePath(dataDir);
  const running = readLiveLock(dataDir);
  if (running) throw new EmbeddedDatabaseBusyError(running, dataDir);

  fs.mkdirSync(path.join(dataDir, 'pgdata'), { recursive: true });
  const db = await PGlite.create(path.join(dataDir, 'pgdata'));
  // The app uses one connection (see the decision record); a little headroom lets a closing
  // connection finish while the next one opens.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  fs.writeFileSync(lockPath, JSON.stringify({ pid: process.pid, port } satisfies LockFile));

  return {
    connectionString: embeddedConnectionString(port),
    async stop() {
      await server.stop();
      await db.close();
      fs.rmSync(lockPath, { force: true });
    },
  };
}

/** The running embedded server of another process on this data directory, if there is one. */
export function readLiveLock(dataDir: string): LockFile | null {
  let lock: LockFile;
  try {
    lock = JSON.parse(fs.readFileSync(lockFilePath(dataDir), 'utf8')) as LockFile;
  } catch {
    return null;
  }
  if (lock.pid === process.pid) return null;
  try {
    process.kill(lock.pid, 0);
    return lock;
  } catch {
    return null; // the process that wrote it is gone: a stale lock from a crash
  }
}

export function embeddedConnectionString(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}

function lockFilePath(dataDir: string): string {
  return path.join(dataDir, 'embedded-db.json');
}
