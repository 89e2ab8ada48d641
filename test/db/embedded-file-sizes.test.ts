import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../server/db/embedded';

/**
 * The embedded database keeps its data files' sizes between writes (docs/decisions/033): every
 * sequential scan asks a file's size, and a size kept past a change of the file would hide rows
 * from a scan or make PostgreSQL write a page where one already is. Each step below grows, shrinks
 * or replaces the table's files right after a scan has asked their sizes, and checks what a scan
 * then sees against what was written.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(dir: string): Promise<{ embedded: EmbeddedDatabase; client: pg.Client }> {
  const embedded = await startEmbeddedDatabase(dir);
  const client = new pg.Client({ connectionString: embedded.connectionString });
  await client.connect();
  return { embedded, client };
}

/** Rows as a sequential scan and as the primary key's index see them: count and sum of ids. */
async function seen(client: pg.Client) {
  await client.query('SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off');
  const scan = (await client.query('SELECT count(*)::int AS n, coalesce(sum(id), 0)::bigint::text AS sum FROM t')).rows[0];
  await client.query('RESET enable_indexscan; RESET enable_bitmapscan; RESET enable_indexonlyscan; SET enable_seqscan = off');
  const index = (await client.query('SELECT count(*)::int AS n, coalesce(sum(id), 0)::bigint::text AS sum FROM t WHERE id > 0')).rows[0];
  await client.query('RESET enable_seqscan');
  return { scan, index };
}

const expected = (ids: number[]) => {
  const rows = { n: ids.length, sum: String(ids.reduce((a, b) => a + b, 0)) };
  return { scan: rows, index: rows };
};

it('sees every row a scan should while the table grows, shrinks and is rewritten, and after a restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-file-sizes-'));
  dirs.push(dir);
  let { embedded, client } = await start(dir);
  try {
    expect(embedded.fileSizesKept).toBe(true);
    await client.query("CREATE TABLE t (id int PRIMARY KEY, pad text NOT NULL DEFAULT repeat('x', 300))");
    let ids: number[] = [];

    // Grows: each batch adds pages after a scan has asked the table's size.
    for (let batch = 0; batch < 8; batch++) {
      const first = batch * 200 + 1;
      await client.query('INSERT INTO t (id) SELECT g FROM generate_series($1::int, $2::int) g', [first, first + 199]);
      ids = ids.concat(Array.from({ length: 200 }, (_, i) => first + i));
      expect(await seen(client)).toEqual(expected(ids));
    }

    // Shrinks: VACUUM cuts the emptied pages off the end of the file.
    const sizeBefore = Number((await client.query("SELECT pg_relation_size('t') AS size")).rows[0].size);
    await client.query('DELETE FROM t WHERE id > 300');
    ids = ids.filter((id) => id <= 300);
    await client.query('VACUUM t');
    expect(Number((await client.query("SELECT pg_relation_size('t') AS size")).rows[0].size)).toBeLessThan(sizeBefore);
    expect(await seen(client)).toEqual(expected(ids));

    // Grows again into the pages VACUUM gave back.
    await client.query('INSERT INTO t (id) SELECT g FROM generate_series(5001, 5600) g');
    ids = ids.concat(Array.from({ length: 600 }, (_, i) => 5001 + i));
    expect(await seen(client)).toEqual(expected(ids));

    // Rewritten into new files (the old ones are removed), then emptied into new files again.
    await client.query('VACUUM FULL t');
    expect(await seen(client)).toEqual(expected(ids));
    await client.query('TRUNCATE t');
    ids = [];
    expect(await seen(client)).toEqual(expected(ids));
    await client.query('INSERT INTO t (id) SELECT g FROM generate_series(1, 700) g');
    ids = Array.from({ length: 700 }, (_, i) => i + 1);
    expect(await seen(client)).toEqual(expected(ids));

    // A transaction rolled back leaves its pages in the file, empty of visible rows.
    await client.query('BEGIN');
    await client.query('INSERT INTO t (id) SELECT g FROM generate_series(10001, 10500) g');
    await client.query('ROLLBACK');
    expect(await seen(client)).toEqual(expected(ids));

    await client.end();
    await embedded.stop();
    ({ embedded, client } = await start(dir));
    expect(await seen(client)).toEqual(expected(ids));
  } finally {
    await client.end().catch(() => {});
    await embedded.stop();
  }
}, 60_000);
