import fs from 'node:fs';
import path from 'node:path';

/**
 * One process per embedded data directory. The lock file (DATA_DIR/embedded-db.json: pid and port)
 * is created with an exclusive, atomic operation before PGlite opens any file, so of two processes
 * starting together exactly one gets it. A lock whose process is gone (a crash) is broken, also
 * atomically, so two processes finding the same stale lock cannot both take over.
 * See docs/decisions/005-embedded-database-lock.md.
 */

export interface LockFile {
  pid: number;
  port: number;
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly lock: LockFile,
    dataDir: string,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by another Switchboard process (pid ${lock.pid}). ` +
        'Stop that process first (Ctrl+C in its terminal), then run this again; or set DATABASE_URL to use a PostgreSQL server.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

export interface HeldLock {
  /** Records the port the embedded server listens on, for people reading the file. */
  setPort(port: number): void;
  release(): void;
}

// Directories this process holds: its own pid in a lock file means "held here", not "stale".
const heldHere = new Set<string>();

export function acquireEmbeddedLock(dataDir: string): HeldLock {
  const lockPath = lockFilePath(dataDir);
  if (heldHere.has(lockPath)) throw new EmbeddedDatabaseBusyError({ pid: process.pid, port: 0 }, dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusively(lockPath, { pid: process.pid, port: 0 })) {
      heldHere.add(lockPath);
      return {
        setPort: (port) => replaceContent(lockPath, { pid: process.pid, port }),
        release() {
          heldHere.delete(lockPath);
          fs.rmSync(lockPath, { force: true });
        },
      };
    }
    const holder = readLock(lockPath);
    if (holder && isAlive(holder.pid)) throw new EmbeddedDatabaseBusyError(holder, dataDir);
    breakStaleLock(lockPath, holder);
  }
  throw new Error(`Could not lock the embedded database in ${dataDir}; another process keeps taking and leaving it. Try again.`);
}

/**
 * Writes the content to a private file, then links it to the lock path: link() fails if the lock
 * exists, and a reader never sees a half-written lock (an open with 'wx' then a write could).
 */
function createExclusively(lockPath: string, content: LockFile): boolean {
  const temp = `${lockPath}.${process.pid}.new`;
  fs.writeFileSync(temp, JSON.stringify(content));
  try {
    fs.linkSync(temp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function replaceContent(lockPath: string, content: LockFile): void {
  const temp = `${lockPath}.${process.pid}.new`;
  fs.writeFileSync(temp, JSON.stringify(content));
  fs.renameSync(temp, lockPath);
}

/**
 * Moves the stale lock aside under a name of our own (rename is atomic: of two breakers only one
 * moves a given file), then checks it was the stale one: if another process took the lock in the
 * meantime, its lock is put back and the next attempt reports it as busy.
 */
function breakStaleLock(lockPath: string, stale: LockFile | null): void {
  const aside = `${lockPath}.${process.pid}.stale`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it first
    throw error;
  }
  const moved = readLock(aside);
  if (moved && moved.pid !== stale?.pid && isAlive(moved.pid)) {
    try {
      fs.linkSync(aside, lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  fs.rmSync(aside, { force: true });
}

/** The lock's content, or null when it cannot be read or is not a lock (then nobody can be shown to hold it). */
export function readLock(file: string): LockFile | null {
  try {
    const lock = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockFile>;
    return Number.isSafeInteger(lock.pid) && (lock.pid as number) > 0 ? { pid: lock.pid as number, port: Number(lock.port) || 0 } : null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid runs. Our own pid in a lock we do not hold is a previous life of it (a container restart). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // it exists but belongs to another user
  }
}

export function lockFilePath(dataDir: string): string {
  return path.join(dataDir, 'embedded-db.json');
}
