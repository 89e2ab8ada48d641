import { txOf, type Database, type ReadOptions, type Row, type Tx } from './index';

interface Pending {
  sql: string;
  params: unknown[];
  timestamps: readonly string[];
  resolve(rows: Row[]): void;
  reject(error: unknown): void;
}

/**
 * Several reads in one statement: one round trip where each read would take its own.
 *
 * `build` calls the usual query functions with a Tx that records their reads instead of sending
 * them, and returns their promises. The reads then reach the server as one SELECT whose columns
 * are the reads, each read's rows a JSON array (in the read's own order), and every promise
 * resolves with the rows it would have had alone: timestamps, which come back through JSON as text,
 * are Dates again by the query's ReadOptions.timestamps. Each read keeps its own parameters, renumbered
 * after the previous reads' ($n inside a string literal would be renumbered too: query files use
 * none). Reads only: PostgreSQL refuses a data-modifying statement as a subquery. A read cannot wait
 * for another one of the same batch; it is refused. See docs/decisions/017-one-round-trip-per-read.md.
 */
export async function readTogether<P extends readonly unknown[] | []>(
  tx: Tx,
  build: (batch: Tx) => P,
): Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }> {
  // The combined text depends only on which reads a page makes, so it is prepared once per connection.
  return sendTogether(build, (sql, params) => tx.one(sql, params, { prepare: true }));
}

/**
 * readTogether for a page that only reads: the combined read goes in a transaction of its own, as
 * the acting user, and BEGIN, the acting user, the read and COMMIT reach the server in one round
 * trip (Database.readAsUser; docs/decisions/023-read-only-pages-in-one-round-trip.md).
 */
export async function readTogetherAsUser<P extends readonly unknown[] | []>(
  db: Database,
  userId: number,
  build: (batch: Tx) => P,
): Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }> {
  return sendTogether(build, async (sql, params) => (await db.readAsUser(userId, sql, params))[0]!);
}

async function sendTogether<P extends readonly unknown[] | []>(
  build: (batch: Tx) => P,
  send: (sql: string, params: unknown[]) => Promise<Row>,
): Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }> {
  const pending: Pending[] = [];
  let sent = false;
  const batch = txOf(<T extends Row>(sql: string, params: unknown[] = [], options: ReadOptions = {}) => {
    if (sent)
      return Promise.reject(
        new Error('readTogether: a read was asked for after its batch was sent (reads of one batch cannot depend on each other).'),
      );
    return new Promise<T[]>((resolve, reject) =>
      pending.push({ sql, params, timestamps: options.timestamps ?? [], resolve: resolve as (rows: Row[]) => void, reject }),
    );
  });
  const results = build(batch);
  sent = true;
  if (pending.length > 0) {
    try {
      const row = await send(
        combinedSelect(pending),
        pending.flatMap((read) => read.params),
      );
      pending.forEach((read, i) => read.resolve(revive(row[`read_${i}`] as Row[], read.timestamps)));
    } catch (error) {
      for (const read of pending) read.reject(error);
    }
  }
  return Promise.all(results) as Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }>;
}

/**
 * The combined text, built once for each sequence of reads and then found again by the reads' own
 * texts (a path through this tree, one level per read): renumbering and joining some 6 KB of SQL on
 * every request was a tenth of what the assistant page allocated, and the same text object each time
 * lets the prepared-statement lookup reuse its hash. The reads' texts are a fixed set (they come from
 * the query files); the bound only guards against a caller that is not.
 */
interface Combined {
  next: Map<string, Combined>;
  /** The combined text of the reads on the path here, and their parameter counts it was built for. */
  sql?: string;
  counts?: number[];
}
const combinedTexts: Combined = { next: new Map() };
let combinedNodes = 0;

function combinedSelect(reads: Pending[]): string {
  let node = combinedTexts;
  for (const read of reads) {
    let child = node.next.get(read.sql);
    if (!child) {
      if (++combinedNodes > 1000) {
        combinedTexts.next.clear();
        combinedNodes = 0;
        return buildCombinedSelect(reads);
      }
      child = { next: new Map() };
      node.next.set(read.sql, child);
    }
    node = child;
  }
  if (node.sql === undefined || !node.counts!.every((count, i) => count === reads[i]!.params.length)) {
    node.sql = buildCombinedSelect(reads);
    node.counts = reads.map((read) => read.params.length);
  }
  return node.sql;
}

function buildCombinedSelect(reads: Pending[]): string {
  let offset = 0;
  const columns = reads.map((read, i) => {
    const shift = offset;
    offset += read.params.length;
    const sql = read.sql.replace(/\$(\d+)/g, (_match, n: string) => `$${Number(n) + shift}`);
    // Line breaks around the read: it may end in a -- comment.
    return `(SELECT coalesce(json_agg(read_rows), '[]') FROM (\n${sql}\n) read_rows) AS read_${i}`;
  });
  return `SELECT ${columns.join(',\n')}`;
}

function revive(rows: Row[], timestamps: readonly string[]): Row[] {
  for (const row of rows) {
    for (const column of timestamps) if (typeof row[column] === 'string') row[column] = new Date(row[column]);
  }
  return rows;
}
