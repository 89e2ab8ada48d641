import net from 'node:net';

/**
 * A TCP proxy between the app's connection pool and the database server that counts the
 * statements the server receives: every simple Query ('Q') and every extended-protocol Execute
 * ('E') message from the client. It sees everything that uses the pool, the session store
 * included, whatever the app's own bookkeeping says. Bytes are forwarded unchanged.
 */

export interface ServerStatement {
  /** 'Q' simple query, 'E' execute of a prepared (Parse) statement. */
  kind: 'Q' | 'E';
  /** The SQL text: of the Query, or of the Parse this Execute runs. */
  sql: string;
}

export interface StatementProxy {
  /** Connection string for the app: the target's, with host and port replaced by the proxy's. */
  connectionString: string;
  /** Every statement received so far, in order of arrival. */
  statements: ServerStatement[];
  close(): Promise<void>;
}

export async function startStatementProxy(targetConnectionString: string): Promise<StatementProxy> {
  const target = new URL(targetConnectionString);
  const targetPort = Number(target.port || 5432);
  const targetHost = target.hostname;
  const statements: ServerStatement[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const reader = frontendReader((statement) => statements.push(statement));
    client.on('data', (chunk) => {
      reader(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const proxied = new URL(targetConnectionString);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);

  return {
    connectionString: proxied.toString(),
    statements,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Splits the client's byte stream into protocol messages. The first message of a connection (the
 * startup message, or an SSLRequest answered with one byte) has no type byte; every later one is
 * a type byte and a 4-byte length that counts itself.
 */
function frontendReader(onStatement: (statement: ServerStatement) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  let startup = true;
  // Per connection: the text of each statement parsed on it, and of the one bound last.
  const parsed = new Map<string, string>();
  let bound = '';
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (startup) {
        if (buffered.length < 8) return;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        const code = buffered.readInt32BE(4);
        buffered = buffered.subarray(length);
        // SSLRequest (80877103) or GSSENCRequest (80877104) come before the real startup message.
        startup = code === 80877103 || code === 80877104;
        continue;
      }
      if (buffered.length < 5) return;
      const type = String.fromCharCode(buffered[0]!);
      const length = buffered.readInt32BE(1);
      if (buffered.length < 1 + length) return;
      const body = buffered.subarray(5, 1 + length);
      buffered = buffered.subarray(1 + length);
      if (type === 'Q') onStatement({ kind: 'Q', sql: cString(body, 0) });
      if (type === 'P') {
        // Parse: statement name, then the query text. A named one is executed again by name alone.
        const nameEnd = body.indexOf(0);
        parsed.set(cString(body, 0), cString(body, nameEnd + 1));
      }
      if (type === 'B') {
        // Bind: portal name, then the name of the statement it runs ('' for the unnamed one).
        const portalEnd = body.indexOf(0);
        const name = cString(body, portalEnd + 1);
        bound = parsed.get(name) ?? `(prepared statement ${name})`;
      }
      if (type === 'E') onStatement({ kind: 'E', sql: bound });
    }
  };
}

function cString(buffer: Buffer, start: number): string {
  const end = buffer.indexOf(0, start);
  return buffer.toString('utf8', start, end === -1 ? buffer.length : end);
}
