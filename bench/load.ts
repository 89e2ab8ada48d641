import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** A small closed-loop load generator on node:http with keep-alive, and what /proc says of a process. */

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
}

export interface Target {
  port: number;
  path: string;
  cookie?: string;
  accept?: string;
  /** Sent as Accept-Encoding, as a browser does (compressed answers are counted as they come). */
  acceptEncoding?: string;
}

/**
 * `connections` clients, each sending its next request as soon as the last answer ended, for `ms`.
 * Client i sends cookies[i] when given: one signed-in person per connection.
 */
export async function runLoad(target: Target, connections: number, ms: number, cookies: string[] = []): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      const client = cookies.length ? { ...target, cookie: cookies[i % cookies.length] } : target;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const res = await get(client, agent).catch(() => null);
        if (!res || res.status !== 200) errors++;
        else latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, ...percentiles(latencies) };
}

/** Sequential requests on one connection: latency as one user sees it. */
export async function sequentialLatencies(target: Target, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await get(target, agent);
    if (res.status !== 200) throw new Error(`${target.path} answered ${res.status}`);
    out.push(performance.now() - t0);
  }
  agent.destroy();
  return out;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as it came over the wire (not decompressed). */
  body: Buffer;
  /** Status line and header bytes as received, approximately (Node re-joins them). */
  headerBytes: number;
}

export function get(target: Target, agent?: http.Agent, extraHeaders: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...extraHeaders };
    if (target.cookie) headers.cookie = target.cookie;
    if (target.accept) headers.accept = target.accept;
    if (target.acceptEncoding) headers['accept-encoding'] = target.acceptEncoding;
    const req = http.request({ host: '127.0.0.1', port: target.port, path: target.path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        // "Name: value\r\n" per header: each name and value plus two bytes, then the blank line.
        const headerBytes =
          `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + res.rawHeaders.reduce((n, h) => n + h.length + 2, 0) + 2;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), headerBytes });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);
  return { p50: at(0.5), p99: at(0.99) };
}

export function median(values: number[]): number {
  return percentiles(values).p50;
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** User + system CPU time of a process so far, in milliseconds (/proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is index 0, so utime (14th) is 11 and stime (15th) is 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory of a process in MB (/proc/<pid>/status). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
