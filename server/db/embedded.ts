import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { acquireEmbeddedLock } from './embedded-lock';

/**
 * The embedded default database: PGlite with its files in DATA_DIR, served on 127.0.0.1 through
 * pglite-socket so the app uses the same pg code path as with a real server.
 * See docs/decisions/001-embedded-database.md.
 */

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

export { EmbeddedDatabaseBusyError } from './embedded-lock';

/** Takes the data directory's lock before PGlite opens a file; refuses with EmbeddedDatabaseBusyError if another process has it. */
export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const lock = acquireEmbeddedLock(dataDir);
  try {
    fs.mkdirSync(path.join(dataDir, 'pgdata'), { recursive: true });
    const db = await PGlite.create(path.join(dataDir, 'pgdata'));
    // The app uses one connection (see the decision record); a little headroom lets a closing
    // connection finish while the next one opens.
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
    try {
      await server.start();
    } catch (error) {
      await db.close();
      throw error;
    }
    const port = Number(server.getServerConn().split(':').pop());
    lock.setPort(port);
    return {
      connectionString: embeddedConnectionString(port),
      async stop() {
        await server.stop();
        await db.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

export function embeddedConnectionString(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}
