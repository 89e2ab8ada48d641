/**
 * npm run bench: Switchboard against a bare Express 5 + pg + EJS page (bench/bare-app.js), on the
 * same machine, in interleaved rounds. Each app runs as `npm start` runs it (node dist/server with
 * npm start's settings and node flags, NODE_ENV unset) and with NODE_ENV=production, on PostgreSQL
 * and on the embedded database. The bare page runs as plain `node`.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench     (both databases)
 *   npm run bench                                                               (embedded only)
 *   npm run bench -- --quick                                                    (a short run)
 *
 * On PostgreSQL it works in a scratch database it creates and drops; the embedded database lives
 * in a temporary directory. Nothing here is part of `npm test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createComposioGateway } from '../server/composio/client';
import { startEmbeddedDatabase } from '../server/db/embedded';
import { startFakeComposio } from '../test/fakes/composio-server';
import { startStatementProxy } from '../test/helpers/statement-proxy';
import { cpuMs, get, median, percentiles, rssMb, runLoad, sequentialLatencies, type Target } from '../bench/load';
import { BENCH_EMAIL, BENCH_ENCRYPTION_KEY, BENCH_PASSWORD, measureUpsert, seedBenchDatabase, type BenchTeam } from '../bench/seed';
import { readStartCommand } from '../bench/start-command';

const ROOT = path.resolve(__dirname, '..');
const quick = process.argv.includes('--quick');
// Five rounds: on a shared 2-core machine rounds of the same code ranged over ±20% within one run,
// and the median of three moved with a single slow round (README, Performance).
const SETTINGS = quick
  ? { rounds: 1, loadMs: 2000, warmUpMs: 2000, roundWarmUpMs: 1000, latencyRequests: 5, scales: [1, 100], syncAccounts: 5000 }
  : { rounds: 5, loadMs: 5000, warmUpMs: 5000, roundWarmUpMs: 3000, latencyRequests: 5, scales: [1, 10, 100], syncAccounts: 50_000 };
const CONNECTIONS = 50;
/** What Chromium sends. */
const BROWSER_ENCODINGS = 'gzip, deflate, br, zstd';
const SYNC_USER = 'bench-sync';
const SECRETS = { SESSION_SECRET: 'bench-session-secret-0123456789abcdef0123', ENCRYPTION_KEY: BENCH_ENCRYPTION_KEY };
/** How `npm start` (and the Docker image) runs the app, read from package.json: glibc's mmap threshold fixed (docs/decisions/025). */
const START = readStartCommand(ROOT);

interface Instance {
  name: string;
  db: 'PostgreSQL' | 'embedded';
  mode: 'default' | 'production' | 'bare';
  process: ChildProcess;
  port: number;
  cookie?: string;
  csrf?: string;
  /** One signed-in session per load connection. */
  sessions?: string[];
}

/** One process's measured round on the assistant page; `rss` is read right after its load. */
interface LoadRun {
  rps: number;
  p99: number;
  cpuPerPage: number;
  rss: number;
}

const cleanups: (() => Promise<void> | void)[] = [];
const log = (msg: string) => console.error(`[bench] ${msg}`);

async function main(): Promise<void> {
  const started = performance.now();
  if (!fs.existsSync(path.join(ROOT, 'dist', 'server', 'index.js')))
    throw new Error('dist/ is missing: npm run bench builds it first (npm run build).');
  const serverUrl = process.env.DATABASE_URL;
  const fake = await startFakeComposio();
  cleanups.push(() => fake.close());

  // Databases, seeded the same way; the sync's write measured on each before any app starts.
  const upserts: Record<string, { first: number; again: number }> = {};
  const dbs: {
    db: Instance['db'];
    url?: string;
    env: (copy: number) => Record<string, string>;
    teams: BenchTeam[];
    userId: number;
    syncTeamId: number;
  }[] = [];
  if (serverUrl) {
    const { url, drop } = await scratchDatabase(serverUrl);
    cleanups.push(drop);
    log('seeding PostgreSQL');
    const seeded = await seedBenchDatabase(url, SETTINGS.scales);
    const syncTeamId = await addSyncTeam(url);
    upserts.PostgreSQL = await measureUpsert(url, SETTINGS.syncAccounts);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-pg-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    dbs.push({ db: 'PostgreSQL', url, env: () => ({ DATABASE_URL: url, DATA_DIR: dataDir }), ...seeded, syncTeamId });
  } else {
    log('DATABASE_URL is not set: PostgreSQL and the bare page are skipped');
  }
  {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-embedded-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const embedded = await startEmbeddedDatabase(path.join(dir, 'a'));
    log('seeding the embedded database');
    const seeded = await seedBenchDatabase(embedded.connectionString, SETTINGS.scales);
    const syncTeamId = await addSyncTeam(embedded.connectionString);
    upserts.embedded = await measureUpsert(embedded.connectionString, SETTINGS.syncAccounts);
    await embedded.stop();
    fs.cpSync(path.join(dir, 'a'), path.join(dir, 'b'), { recursive: true }); // one data directory per running app
    dbs.push({ db: 'embedded', env: (copy) => ({ DATA_DIR: path.join(dir, copy ? 'b' : 'a') }), ...seeded, syncTeamId });
  }

  // The apps, each in its own process. Both get the key the seeded API keys were encrypted with (the
  // app refuses to start with a key that cannot read them); the defaults instance nothing else.
  // Background sync is off (SYNC_INTERVAL=0): with it on, every app syncs every team as it starts, and
  // those syncs (and the fake Composio answering them, in this process) land in the measured rounds.
  // The sync is measured on its own below, through the same route a person's "Sync now" takes.
  const composioEnv = { COMPOSIO_API_KEY: fake.apiKey, COMPOSIO_BASE_URL: fake.url, COMPOSIO_USER_ID: SYNC_USER, SYNC_INTERVAL: '0' };
  const instances: Instance[] = [];
  const pgDb = dbs.find((d) => d.db === 'PostgreSQL');
  if (pgDb)
    instances.push(
      await startProcess('bare page', 'PostgreSQL', 'bare', [path.join(ROOT, 'bench', 'bare-app.js')], { DATABASE_URL: pgDb.url! }),
    );
  for (const d of dbs) {
    instances.push(
      await startProcess(`app ${d.db}, npm start defaults`, d.db, 'default', [path.join(ROOT, START.script)], {
        ...d.env(0),
        ...composioEnv,
        ENCRYPTION_KEY: SECRETS.ENCRYPTION_KEY,
        DEMO_PASSWORD: 'demo-password-0123',
      }),
    );
    instances.push(
      await startProcess(`app ${d.db}, NODE_ENV=production`, d.db, 'production', [path.join(ROOT, START.script)], {
        ...d.env(1),
        ...composioEnv,
        ...SECRETS,
        NODE_ENV: 'production',
      }),
    );
  }
  log(`signing in ${CONNECTIONS} sessions per app`);
  for (const instance of instances) {
    if (instance.mode === 'bare') continue;
    Object.assign(instance, await signIn(instance.port));
    instance.sessions = [];
    for (let i = 0; i < CONNECTIONS; i++) instance.sessions.push((await signIn(instance.port)).cookie);
  }
  const teamsOf = (instance: Instance) => dbs.find((d) => d.db === instance.db)!.teams;
  const team = (instance: Instance, units: number) => teamsOf(instance).find((t) => t.units === units)!;

  const pages = {
    'assistant page': (t: BenchTeam) => `/app/team/${t.teamId}/assistant/${t.assistantId}/integrations`,
    picker: (t: BenchTeam) => `/app/team/${t.teamId}/assistant/${t.assistantId}/integrations/add/${t.pickerIntegrationId}`,
    'team page': (t: BenchTeam) => `/app/team/${t.teamId}/integrations`,
    'team JSON API': (t: BenchTeam) => `/api/teams/${t.teamId}/integrations`,
  };
  const targetFor = (instance: Instance, page: keyof typeof pages | 'bare', units: number): Target => {
    const t = team(instance.mode === 'bare' ? instances.find((i) => i.db === instance.db && i.mode === 'default')! : instance, units);
    if (instance.mode === 'bare') return { port: instance.port, path: `/bare/${t.teamId}/${t.assistantId}` };
    return { port: instance.port, path: pages[page as keyof typeof pages](t), cookie: instance.cookie };
  };
  for (const instance of instances) await get(targetFor(instance, 'assistant page', 1)); // warm up

  // Statements per page, counted at the server through a proxy (PostgreSQL only: same code path).
  const statements: Record<string, number> = {};
  if (pgDb) {
    const proxy = await startStatementProxy(pgDb.url!);
    const counted = await startProcess('app through the counting proxy', 'PostgreSQL', 'default', [path.join(ROOT, START.script)], {
      ...pgDb.env(0),
      DATABASE_URL: proxy.connectionString,
      ENCRYPTION_KEY: SECRETS.ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
      DEMO_PASSWORD: 'demo-password-0123',
    });
    Object.assign(counted, await signIn(counted.port));
    const biggest = Math.max(...SETTINGS.scales);
    for (const page of Object.keys(pages) as (keyof typeof pages)[]) {
      const target = { port: counted.port, path: pages[page](team({ ...counted, db: 'PostgreSQL' }, biggest)), cookie: counted.cookie };
      await get(target);
      const before = proxy.statements.length;
      await get(target);
      statements[page] = proxy.statements.length - before;
    }
    await stop(counted);
    await proxy.close();
  }

  // Each process serves the page under load before it is measured, as a running server would have:
  // V8 compiles the hot code during the first seconds (the app has more of it than the bare page).
  for (const instance of instances)
    await runLoad(targetFor(instance, 'assistant page', 1), CONNECTIONS, SETTINGS.warmUpMs, instance.sessions);

  // Throughput: 50 connections on the assistant page at 1x, interleaved rounds. Each process has sat
  // idle while the others were measured, and its first seconds of load after that are up to a third
  // slower (V8's heap and the machine's caches warm up again; measured on the app and the bare page
  // alike), so each round is preceded by a short load on the same process that is not counted.
  // Resident memory is read right after each measured load, in every round, for every process: read
  // once at the end, the process measured last was read under load and the others after sitting idle
  // while the rest were measured (V8 and glibc give memory back to an idle process), so processes
  // were not compared alike. The report gives the median of the rounds, and the highest.
  const loadRuns = new Map<string, LoadRun[]>();
  for (let round = 0; round < SETTINGS.rounds; round++) {
    const order = rotate(instances, round);
    for (const instance of order) {
      const { result, cpuPerPage } = await measureLoad(instance, targetFor(instance, 'assistant page', 1));
      if (result.errors) log(`${instance.name}: ${result.errors} failed requests`);
      const runs = loadRuns.get(instance.name) ?? [];
      runs.push({ rps: result.rps, p99: result.p99, cpuPerPage, rss: rssMb(instance.process.pid!) });
      loadRuns.set(instance.name, runs);
      log(`round ${round + 1} ${instance.name}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99.toFixed(0)} ms`);
    }
  }

  // The same page as a browser asks for it: compressed (brotli). The bare page compresses nothing, so
  // this is the app against itself: what compressing each page costs.
  const compressed = new Map<string, { rps: number; cpuPerPage: number }>();
  for (const instance of instances.filter((i) => i.db === 'PostgreSQL' && i.mode !== 'bare')) {
    const { result, cpuPerPage } = await measureLoad(instance, {
      ...targetFor(instance, 'assistant page', 1),
      acceptEncoding: BROWSER_ENCODINGS,
    });
    compressed.set(instance.name, { rps: result.rps, cpuPerPage });
    log(`${instance.name}, compressed: ${result.rps.toFixed(0)} req/s`);
  }

  // Latency as one user sees it, by team size, interleaved.
  const latency = new Map<string, number[]>();
  for (let round = 0; round < SETTINGS.rounds; round++) {
    for (const units of SETTINGS.scales) {
      for (const instance of rotate(instances, round)) {
        for (const page of instance.mode === 'bare' ? (['bare'] as const) : (Object.keys(pages) as (keyof typeof pages)[])) {
          const key = `${instance.name}|${page}|${units}`;
          const samples = await sequentialLatencies(targetFor(instance, page, units), SETTINGS.latencyRequests + (round === 0 ? 1 : 0));
          latency.set(key, [...(latency.get(key) ?? []), ...(round === 0 ? samples.slice(1) : samples)]);
        }
      }
    }
  }

  // Sizes: the team page at the largest scale, and a first visit's bytes on the wire.
  const reference = instances.find((i) => i.mode === 'default')!;
  const biggest = Math.max(...SETTINGS.scales);
  const teamPage = await get(targetFor(reference, 'team page', biggest), undefined, { 'accept-encoding': 'gzip, deflate, br' });
  const teamPageBytes = (await get(targetFor(reference, 'team page', biggest))).body.length;
  const firstLoad = await firstLoadBytes(targetFor(reference, 'assistant page', 1));
  const appPage = (await get(targetFor(reference, 'assistant page', 1))).body.length;
  const bareInstance = instances.find((i) => i.mode === 'bare');
  const barePage = bareInstance ? (await get(targetFor(bareInstance, 'bare', 1))).body.length : NaN;

  // Sync of many unchanged accounts, through the app's JSON API, on each database.
  const syncs: Record<string, number[]> = {};
  fake.setAccounts(syncAccounts(SETTINGS.syncAccounts));
  const listStarted = performance.now();
  await createComposioGateway({ apiKey: fake.apiKey, baseURL: fake.url }).listAccounts(SYNC_USER);
  const listMs = performance.now() - listStarted;
  for (const instance of instances.filter((i) => i.mode === 'default')) {
    const d = dbs.find((x) => x.db === instance.db)!;
    syncs[instance.db] = [];
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      const res = await post(instance, `/api/teams/${d.syncTeamId}/integrations/sync`);
      if (res.status !== 200) throw new Error(`sync answered ${res.status}: ${res.body.toString().slice(0, 200)}`);
      syncs[instance.db]!.push(performance.now() - t0);
    }
  }

  for (const instance of instances) await stop(instance);
  report({
    instances,
    loadRuns,
    compressed,
    latency,
    statements,
    teamPage,
    teamPageBytes,
    firstLoad,
    appPage,
    barePage,
    syncs,
    listMs,
    upserts,
    biggest,
    pages: Object.keys(pages),
    dbs,
  });
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

// ---- the report --------------------------------------------------------------------------------

function report(r: {
  instances: Instance[];
  loadRuns: Map<string, LoadRun[]>;
  compressed: Map<string, { rps: number; cpuPerPage: number }>;
  latency: Map<string, number[]>;
  statements: Record<string, number>;
  teamPage: { body: Buffer; headers: Record<string, unknown> };
  teamPageBytes: number;
  firstLoad: { bytes: number; requests: number; encoding: string };
  appPage: number;
  barePage: number;
  syncs: Record<string, number[]>;
  listMs: number;
  upserts: Record<string, { first: number; again: number }>;
  biggest: number;
  pages: string[];
  dbs: { db: string; teams: BenchTeam[] }[];
}) {
  const bare = r.instances.find((i) => i.mode === 'bare');
  const med = (name: string, field: keyof LoadRun) => median((r.loadRuns.get(name) ?? []).map((x) => x[field]));
  const rssMax = (name: string) => Math.max(...(r.loadRuns.get(name) ?? []).map((x) => x.rss));
  const ratioRange = (name: string) => {
    if (!bare) return '';
    const ours = r.loadRuns.get(name)!;
    const theirs = r.loadRuns.get(bare.name)!;
    const ratios = ours.map((x, i) => x.rps / theirs[i]!.rps);
    return `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x`;
  };
  const out: string[] = [];
  out.push(
    `Switchboard benchmark (${quick ? 'quick' : 'full'}: ${SETTINGS.rounds} interleaved rounds, ${SETTINGS.loadMs / 1000} s each after ${SETTINGS.warmUpMs / 1000} s of warm-up and ${SETTINGS.roundWarmUpMs / 1000} s more before each round, ${CONNECTIONS} connections), ${os.cpus().length} cores, Node ${process.version}, load average at the end ${os
      .loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  );
  out.push('');
  out.push('Assistant page at 1x (300 connections, assistants with 20 integrations), 50 connections:');
  out.push('| process | req/s | vs bare (per round) | p99 ms | p99 vs bare | CPU ms/page | RSS MB after load (highest) |');
  out.push('|---|---|---|---|---|---|---|');
  for (const i of r.instances) {
    const rps = med(i.name, 'rps');
    const p99 = med(i.name, 'p99');
    out.push(
      `| ${i.name} | ${rps.toFixed(0)} | ${bare && i !== bare ? `${(rps / med(bare.name, 'rps')).toFixed(2)}x (${ratioRange(i.name)})` : ''} | ${p99.toFixed(0)} | ${bare && i !== bare ? `${(p99 / med(bare.name, 'p99')).toFixed(2)}x` : ''} | ${med(i.name, 'cpuPerPage').toFixed(2)} | ${med(i.name, 'rss').toFixed(0)} (${rssMax(i.name).toFixed(0)}) |`,
    );
  }
  const pgDefault = r.instances.find((i) => i.db === 'PostgreSQL' && i.mode === 'default');
  for (const mode of ['default', 'production'] as const) {
    const emb = r.instances.find((i) => i.db === 'embedded' && i.mode === mode);
    const pgi = r.instances.find((i) => i.db === 'PostgreSQL' && i.mode === mode);
    if (emb && pgi) out.push(`Embedded vs PostgreSQL (${mode}): ${(med(emb.name, 'rps') / med(pgi.name, 'rps')).toFixed(2)}x req/s`);
  }
  for (const [name, { rps, cpuPerPage }] of r.compressed)
    out.push(
      `${name}, compressed as a browser asks (Accept-Encoding: ${BROWSER_ENCODINGS}; one run after the rounds): ${rps.toFixed(0)} req/s, CPU ${cpuPerPage.toFixed(2)} ms/page (uncompressed: ${med(name, 'rps').toFixed(0)} req/s, ${med(name, 'cpuPerPage').toFixed(2)} ms/page)`,
    );
  out.push('');
  out.push('Latency, one user, p50 ms (p99 in brackets), by team size:');
  const scales = SETTINGS.scales;
  out.push(`| process | page | ${scales.map((s) => `${s}x`).join(' | ')} |`);
  out.push(`|---|---|${scales.map(() => '---').join('|')}|`);
  for (const i of r.instances) {
    for (const page of i.mode === 'bare' ? ['bare'] : r.pages) {
      const cells = scales.map((s) => {
        const p = percentiles(r.latency.get(`${i.name}|${page}|${s}`) ?? []);
        return `${p.p50.toFixed(1)} (${p.p99.toFixed(1)})`;
      });
      out.push(`| ${i.name} | ${page} | ${cells.join(' | ')} |`);
    }
  }
  out.push('');
  const connections = r.dbs[0]!.teams.find((t) => t.units === r.biggest)!.connections;
  out.push(
    `Team page at ${r.biggest}x (${connections.toLocaleString('en')} connections): ${(r.teamPageBytes / 1024).toFixed(1)} KB, ${(r.teamPage.body.length / 1024).toFixed(1)} KB as sent (content-encoding: ${String(r.teamPage.headers['content-encoding'] ?? 'none')})`,
  );
  out.push(
    `First load of the assistant page (page, CSS, scripts, icon; Accept-Encoding: gzip, deflate, br): ${(r.firstLoad.bytes / 1024).toFixed(1)} KB in ${r.firstLoad.requests} requests (${r.firstLoad.encoding})`,
  );
  out.push(`Page sizes, uncompressed: assistant page ${(r.appPage / 1024).toFixed(1)} KB, bare page ${(r.barePage / 1024).toFixed(1)} KB`);
  out.push(
    `Statements per page at the server, ${r.biggest}x, PostgreSQL: ${
      Object.entries(r.statements)
        .map(([p, n]) => `${p} ${n}`)
        .join(', ') || 'not measured (no DATABASE_URL)'
    }`,
  );
  const accounts = SETTINGS.syncAccounts.toLocaleString('en');
  for (const [db, { first, again }] of Object.entries(r.upserts)) {
    out.push(
      `Sync's write (one upsert) of ${accounts} accounts (${db}), first / again unchanged: ${first.toFixed(0)} / ${again.toFixed(0)} ms (${(again / first).toFixed(2)}x)`,
    );
  }
  for (const [db, [first, second]] of Object.entries(r.syncs)) {
    out.push(
      `Whole sync of ${accounts} accounts through the app (${db}), first / again unchanged: ${first!.toFixed(0)} / ${second!.toFixed(0)} ms (${(second! / first!).toFixed(2)}x); listing them from the local fake Composio alone takes ${r.listMs.toFixed(0)} ms`,
    );
  }

  // Issue 12's goals, where this run measured them.
  out.push('');
  out.push('Goals:');
  const goal = (text: string, value: string, met: boolean | null) =>
    out.push(`- ${met === null ? '(not measured)' : met ? 'met' : 'NOT met'}: ${text}: ${value}`);
  const prod = r.instances.find((i) => i.db === 'PostgreSQL' && i.mode === 'production');
  if (bare && pgDefault && prod) {
    const ratio = med(pgDefault.name, 'rps') / med(bare.name, 'rps');
    const p99Ratio = med(pgDefault.name, 'p99') / med(bare.name, 'p99');
    goal(
      'assistant page req/s >= 0.6x bare, p99 <= 2x (npm start defaults)',
      `${ratio.toFixed(2)}x, p99 ${p99Ratio.toFixed(2)}x`,
      ratio >= 0.6 && p99Ratio <= 2,
    );
    const prodRatio = med(prod.name, 'rps') / med(bare.name, 'rps');
    goal('same with NODE_ENV=production >= 0.7x', `${prodRatio.toFixed(2)}x`, prodRatio >= 0.7);
    goal(
      'app CPU per page <= 2.5 ms (defaults)',
      `${med(pgDefault.name, 'cpuPerPage').toFixed(2)} ms (bare ${med(bare.name, 'cpuPerPage').toFixed(2)} ms)`,
      med(pgDefault.name, 'cpuPerPage') <= 2.5,
    );
    const p = (name: string, page: string) => percentiles(r.latency.get(`${name}|${page}|${r.biggest}`) ?? []).p50;
    goal(`picker <= 20 ms at ${r.biggest}x`, `${p(pgDefault.name, 'picker').toFixed(1)} ms`, p(pgDefault.name, 'picker') <= 20);
    goal(
      `page <= 1.2x the bare page at ${r.biggest}x`,
      `${p(pgDefault.name, 'assistant page').toFixed(1)} ms vs ${p(bare.name, 'bare').toFixed(1)} ms (${(p(pgDefault.name, 'assistant page') / p(bare.name, 'bare')).toFixed(2)}x)`,
      p(pgDefault.name, 'assistant page') <= 1.2 * p(bare.name, 'bare'),
    );
    goal(
      `team page at ${r.biggest}x <= 300 KB (uncompressed) and <= 60 ms`,
      `${(r.teamPageBytes / 1024).toFixed(0)} KB, ${p(pgDefault.name, 'team page').toFixed(1)} ms`,
      r.teamPageBytes <= 300 * 1024 && p(pgDefault.name, 'team page') <= 60,
    );
    goal(
      `team JSON API (usedBy) at ${r.biggest}x <= 30 ms`,
      `${p(pgDefault.name, 'team JSON API').toFixed(1)} ms`,
      p(pgDefault.name, 'team JSON API') <= 30,
    );
  } else {
    goal('ratios against the bare page', 'need DATABASE_URL', null);
  }
  goal('first load on the wire <= 30 KB', `${(r.firstLoad.bytes / 1024).toFixed(1)} KB`, r.firstLoad.bytes <= 30 * 1024);
  const emb = r.instances.find((i) => i.db === 'embedded' && i.mode === 'default')!;
  if (pgDefault)
    goal(
      'embedded >= 0.8x PostgreSQL req/s',
      `${(med(emb.name, 'rps') / med(pgDefault.name, 'rps')).toFixed(2)}x`,
      med(emb.name, 'rps') / med(pgDefault.name, 'rps') >= 0.8,
    );
  goal(
    'embedded RSS after load <= 300 MB (median of the rounds)',
    `${med(emb.name, 'rss').toFixed(0)} MB (highest ${rssMax(emb.name).toFixed(0)} MB)`,
    med(emb.name, 'rss') <= 300,
  );
  const maxStatements = Math.max(...Object.values(r.statements));
  goal(
    'statements per page <= 5, counted at the server',
    Object.keys(r.statements).length ? `${maxStatements} at most` : 'no DATABASE_URL',
    Object.keys(r.statements).length ? maxStatements <= 5 : null,
  );
  for (const [db, { first, again }] of Object.entries(r.upserts))
    goal(`the sync's write of unchanged accounts <= half the first (${db})`, `${(again / first).toFixed(2)}x`, again <= first / 2);
  for (const [db, [first, second]] of Object.entries(r.syncs))
    goal(
      `whole second sync, Composio listing included, <= half the first (${db})`,
      `${(second! / first!).toFixed(2)}x`,
      second! <= first! / 2,
    );
  console.log(out.join('\n'));
}

// ---- processes, sign-in and requests ---------------------------------------------------------------

async function startProcess(
  name: string,
  db: Instance['db'],
  mode: Instance['mode'],
  args: string[],
  env: Record<string, string>,
): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, mode === 'bare' ? args : [...START.nodeFlags, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      PORT: String(port),
      ...(mode === 'bare' ? {} : START.env),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const instance: Instance = { name, db, mode, process: child, port };
  cleanups.push(() => stop(instance));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
    const ok = await get({ port, path: mode === 'bare' ? '/static/favicon.svg' : '/healthz' }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return instance;
    if (Date.now() > deadline) throw new Error(`${name} did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One measured load on one process, after a short one that is not counted, and its CPU per page. */
async function measureLoad(instance: Instance, target: Target) {
  await runLoad(target, CONNECTIONS, SETTINGS.roundWarmUpMs, instance.sessions);
  const cpuBefore = cpuMs(instance.process.pid!);
  const result = await runLoad(target, CONNECTIONS, SETTINGS.loadMs, instance.sessions);
  return { result, cpuPerPage: (cpuMs(instance.process.pid!) - cpuBefore) / result.requests };
}

async function stop(instance: Instance): Promise<void> {
  if (instance.process.exitCode !== null || instance.process.signalCode !== null) return;
  const exited = new Promise((resolve) => instance.process.once('exit', resolve));
  instance.process.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
}

async function signIn(port: number): Promise<{ cookie: string; csrf: string }> {
  const login = await get({ port, path: '/login' });
  let cookie = cookieFrom(login.headers['set-cookie']);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(login.body.toString())![1]!;
  const res = await request(
    port,
    'POST',
    '/login',
    cookie,
    { 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({ email: BENCH_EMAIL, password: BENCH_PASSWORD, _csrf: csrf }).toString(),
  );
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  cookie = cookieFrom(res.headers['set-cookie']) || cookie;
  const app = await get({ port, path: '/app', cookie });
  const page = app.status === 303 ? await get({ port, path: String(app.headers.location), cookie }) : app;
  return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page.body.toString())?.[1] ?? csrf };
}

function post(instance: Instance, urlPath: string) {
  return request(instance.port, 'POST', urlPath, instance.cookie!, { 'x-csrf-token': instance.csrf!, accept: 'application/json' }, '');
}

async function request(port: number, method: string, urlPath: string, cookie: string, headers: Record<string, string>, body: string) {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method,
    headers: { ...headers, cookie },
    body: body || undefined,
    redirect: 'manual',
  });
  return { status: res.status, headers: { 'set-cookie': res.headers.getSetCookie() }, body: Buffer.from(await res.arrayBuffer()) };
}

function cookieFrom(setCookie: string[] | string | undefined): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list.map((c) => c.split(';')[0]).join('; ');
}

/** The page and every stylesheet, script and icon it references, as a browser's first visit. */
async function firstLoadBytes(page: Target): Promise<{ bytes: number; requests: number; encoding: string }> {
  const accept = { 'accept-encoding': 'gzip, deflate, br' };
  const html = await get(page, undefined, accept);
  const decoded = html.headers['content-encoding'] ? null : html.body.toString();
  const plain = decoded ?? (await get(page)).body.toString();
  const assets = [...plain.matchAll(/<(?:link[^>]+href|script[^>]+src)="(\/static\/[^"]+)"/g)].map((m) => m[1]!);
  let bytes = html.body.length + html.headerBytes;
  const encodings = new Set([String(html.headers['content-encoding'] ?? 'identity')]);
  for (const asset of assets) {
    const res = await get({ port: page.port, path: asset }, undefined, accept);
    bytes += res.body.length + res.headerBytes;
    encodings.add(String(res.headers['content-encoding'] ?? 'identity'));
  }
  return { bytes, requests: 1 + assets.length, encoding: [...encodings].join(', ') };
}

// ---- data --------------------------------------------------------------------------------------

async function scratchDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `switchboard_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** A team whose Composio user id the fake Composio serves the sync accounts for. */
async function addSyncTeam(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const team = await client.query<{ id: number }>("INSERT INTO teams (name, composio_user_id) VALUES ('Bench sync', $1) RETURNING id", [
      SYNC_USER,
    ]);
    await client.query("INSERT INTO team_users (team_id, user_id, role) SELECT $1, id, 'admin' FROM users WHERE email = $2", [
      team.rows[0]!.id,
      BENCH_EMAIL,
    ]);
    return team.rows[0]!.id;
  } finally {
    await client.end();
  }
}

function syncAccounts(n: number) {
  const toolkits = ['gmail', 'github', 'notion', 'linear', 'googledrive', 'googlecalendar', 'googledocs', 'googlesheets'];
  return Array.from({ length: n }, (_, i) => ({
    id: `ca_sync_${i}`,
    userId: SYNC_USER,
    toolkit: toolkits[i % toolkits.length]!,
    email: `user${i}@example.com`,
  }));
}

function rotate<T>(list: T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  });
