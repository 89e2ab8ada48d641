import net from 'node:net';

/**
 * A TCP relay between the app and its database that a test can cut and restore, to stand in for a
 * database that goes down and comes back. Cutting closes every open connection and refuses new ones.
 */
export interface TcpProxy {
  port: number;
  /** A connection string like `databaseUrl` that goes through the relay. */
  url(databaseUrl: string): string;
  cut(): Promise<void>;
  /** Cuts the open connections but keeps accepting new ones; returns how many were cut. */
  dropConnections(): number;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => {});
          socket.on('close', () => {
            sockets.delete(socket);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });

  await listen();
  return {
    get port() {
      return port;
    },
    url(databaseUrl) {
      const parsed = new URL(databaseUrl);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut: stop,
    dropConnections() {
      const open = sockets.size / 2;
      for (const socket of sockets) socket.destroy();
      return open;
    },
    restore: listen,
    close: stop,
  };
}

export function hostAndPort(databaseUrl: string): { host: string; port: number } {
  const parsed = new URL(databaseUrl);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}
