import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../server/db/embedded';
import { seededRandom } from '../helpers/random';

/**
 * The embedded database's wire-protocol loop (docs/decisions/036-embedded-connections.md) with a
 * client that sends what no driver would: bad lengths, garbage, half a message, a request for TLS.
 * That connection is refused or closed, or answered with PostgreSQL's own error; the others go on.
 */

let dir: string;
let embedded: EmbeddedDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-wire-'));
  embedded = await startEmbeddedDatabase(dir);
  pool = new pg.Pool({ connectionString: embedded.connectionString, max: 3 });
}, 60_000);
afterAll(async () => {
  await pool.end();
  await embedded.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const port = () => Number(new URL(embedded.connectionString).port);

/**
 * Sends `bytes` on a raw connection and collects the answer until the server closes the connection,
 * `readies` ReadyForQuery messages have come (after `skip` bytes: the answer to a TLS request), or
 * `ms` pass (a first statement on a fresh database can take a second).
 */
function exchange(
  bytes: Buffer[],
  options: { readies?: number; skip?: number; ms?: number } = {},
): Promise<{ answer: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port(), '127.0.0.1');
    const answer: Buffer[] = [];
    let closed = false;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer: Buffer.concat(answer), closed });
    };
    const timer = setTimeout(done, options.ms ?? 10_000);
    socket.on('data', (chunk) => {
      answer.push(chunk);
      const types = messageTypes(Buffer.concat(answer), options.skip ?? 0);
      if (options.readies !== undefined && types.filter((type) => type === 'Z').length >= options.readies) done();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = !settled;
      done();
    });
    socket.on('connect', () => {
      for (const part of bytes) socket.write(part);
    });
  });
}

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
/** A startup packet for protocol 3.0 as user postgres. */
const startup = () => {
  const body = Buffer.concat([int32(196608), Buffer.from('user\0postgres\0database\0postgres\0\0')]);
  return Buffer.concat([int32(body.length + 4), body]);
};
const message = (type: string, body: Buffer) => Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);

/** The types of the messages in a server's answer (from `offset`: after a one-byte answer to a TLS request). */
function messageTypes(answer: Buffer, offset = 0): string[] {
  const types: string[] = [];
  for (let at = offset; at + 5 <= answer.length; at += 1 + answer.readInt32BE(at + 1)) types.push(String.fromCharCode(answer[at]!));
  return types;
}

const afterFirstReady = (types: string[]) => types.slice(types.indexOf('Z') + 1);

async function stillServing() {
  const answers = await Promise.all([1, 2, 3].map((n) => pool.query<{ n: number }>('SELECT $1::int AS n', [n])));
  expect(answers.map((a) => a.rows[0]!.n)).toEqual([1, 2, 3]);
}

describe('the embedded database with a misbehaving client', () => {
  it('refuses TLS with N, as a server without it does, and then serves the connection', async () => {
    const sslRequest = Buffer.concat([int32(8), int32(80877103)]);
    const { answer } = await exchange([sslRequest, startup(), message('Q', Buffer.from('SELECT 41 + 1\0'))], { readies: 2, skip: 1 });
    expect(answer[0]).toBe('N'.charCodeAt(0));
    // Authenticated and ready; then the row description, the row and the command's end, ready again.
    const afterStartup = afterFirstReady(messageTypes(answer, 1));
    expect(afterStartup.slice(0, 3)).toEqual(['T', 'D', 'C']);
    expect(afterStartup.at(-1)).toBe('Z');
    expect(answer.includes(Buffer.from('42'))).toBe(true);
    await stillServing();
  });

  it('closes a connection whose lengths are impossible', async () => {
    expect((await exchange([Buffer.concat([int32(5), int32(196608)])])).closed).toBe(true);
    expect((await exchange([Buffer.concat([int32(1 << 30), int32(196608)])])).closed).toBe(true);
    expect((await exchange([startup(), Buffer.from('Q'), int32(2)])).closed).toBe(true);
    await stillServing();
  });

  it('answers a query of invalid text with an error, and goes on', async () => {
    const { answer } = await exchange([startup(), message('Q', Buffer.from([0xff, 0xfe, 0x80, 0x27, 0x3b, 0x00]))], { readies: 2 });
    const afterStartup = afterFirstReady(messageTypes(answer));
    expect(afterStartup[0]).toBe('E');
    expect(afterStartup.at(-1)).toBe('Z');
    await stillServing();
  });

  it('forgets a connection that leaves half a message, or garbage, and goes on', async () => {
    const random = seededRandom(36);
    const garbage = Array.from({ length: 20 }, () =>
      Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256))),
    );
    await Promise.all([
      exchange([startup(), Buffer.from('Q'), int32(100), Buffer.from('SELECT')], { ms: 300 }),
      ...garbage.map((bytes) => exchange([bytes], { ms: 300 })),
      ...garbage.map((bytes) => exchange([startup(), bytes], { ms: 300 })),
    ]);
    await stillServing();
  });

  it('rolls back the transaction of a connection that goes away inside it', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS wire_t (n int)');
    await exchange([startup(), message('Q', Buffer.from('BEGIN; INSERT INTO wire_t VALUES (1)\0'))], { readies: 2 });
    expect((await pool.query('SELECT count(*)::int AS n FROM wire_t')).rows).toEqual([{ n: 0 }]);
  });
});
