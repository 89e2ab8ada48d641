import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import express, { type RequestHandler, type Response, Router } from 'express';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
const HASH = /^[0-9a-f]{12}$/;

/**
 * Static files under /static, from public/ and htmx's dist folder. Templates link them through
 * asset('/css/app.css'), which gives /static/<content hash>/css/app.css: a URL that changes whenever
 * the file does, so browsers may keep it for a year. Plain /static/... URLs keep working with a
 * short cache, and an old hash still serves the current file (briefly cached) during a deploy.
 *
 * Outside `npm run dev` each file is read once and compressed once, at the highest brotli and gzip
 * levels (the compression middleware's level suits pages made per request, not files that never
 * change): htmx goes out as 15.3 KB instead of 17.4 KB. Static answers carry only the headers a
 * script, stylesheet or icon needs; the pages' security headers (CSP and the rest) are for documents.
 */
export function setUpStaticFiles(options: { root: string; cache: boolean }) {
  const sources = [
    { prefix: '/htmx/', dir: path.join(options.root, 'node_modules', 'htmx.org', 'dist') },
    { prefix: '/', dir: path.join(options.root, 'public') },
  ];
  const hashes = new Map<string, string>();

  const fileOf = (urlPath: string): string | null => {
    const source = sources.find((s) => urlPath.startsWith(s.prefix));
    if (!source) return null;
    const file = path.resolve(source.dir, `.${urlPath.slice(source.prefix.length - 1)}`);
    return file.startsWith(source.dir + path.sep) ? file : null;
  };

  /** The content hash of a file under /static; without caching (npm run dev) it is read each time. */
  const hashOf = (urlPath: string): string | null => {
    const known = options.cache ? hashes.get(urlPath) : undefined;
    if (known) return known;
    const file = fileOf(urlPath);
    if (!file) return null;
    let hash: string;
    try {
      hash = createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12);
    } catch {
      return null;
    }
    if (options.cache) hashes.set(urlPath, hash);
    return hash;
  };

  /** For templates: the fingerprinted URL of a file under public/ (or /htmx/...). */
  const asset = (urlPath: string): string => {
    const hash = hashOf(urlPath);
    return hash ? `/static/${hash}${urlPath}` : `/static${urlPath}`;
  };

  const shortCache = options.cache ? 60 * 60 : 0;
  /** The headers of every static answer, from express.static or from the precompressed copies. */
  const setStaticHeaders = (res: Response) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader(
      'Cache-Control',
      res.locals.immutable ? `public, max-age=${ONE_YEAR_SECONDS}, immutable` : `public, max-age=${shortCache}`,
    );
  };
  const serve = sources.map((s) =>
    express.static(s.dir, {
      index: false,
      maxAge: 0,
      setHeaders: setStaticHeaders,
    }),
  );

  const fingerprinted: RequestHandler = (req, res, next) => {
    const [, first, ...rest] = req.path.split('/');
    if (first && HASH.test(first) && rest.length) {
      const urlPath = `/${rest.join('/')}`;
      res.locals.immutable = hashOf(urlPath) === first;
      req.url = urlPath + req.url.slice(req.path.length);
    }
    next();
  };

  const files = new Map<string, Promise<Prepared>>();
  const prepared = (urlPath: string): Promise<Prepared> | null => {
    let file = files.get(urlPath);
    if (!file) {
      const name = fileOf(urlPath);
      if (!name || !isFile(name)) return null; // misses are not kept
      file = prepare(name);
      files.set(urlPath, file);
      file.catch(() => files.delete(urlPath)); // a file that could not be read is tried again next time
    }
    return file;
  };

  const precompressed: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const pending = prepared(req.path);
    if (!pending) return next();
    pending.then((file) => {
      setStaticHeaders(res);
      res.setHeader('ETag', file.etag);
      res.setHeader('Vary', 'Accept-Encoding');
      res.type(file.extension);
      if (req.fresh) return void res.status(304).end();
      // Brotli whenever it is accepted at all: browsers list it after gzip at the same weight.
      const encoding = req.acceptsEncodings('br') ? 'br' : req.acceptsEncodings('gzip') ? 'gzip' : 'identity';
      const body = encoding === 'br' ? file.br : encoding === 'gzip' ? file.gzip : file.raw;
      if (body !== file.raw) res.setHeader('Content-Encoding', encoding);
      res.setHeader('Content-Length', body.length);
      res.end(req.method === 'HEAD' ? undefined : body);
    }, next);
  };

  const router = Router();
  router.use(fingerprinted);
  if (options.cache) router.use(precompressed);
  router.use('/htmx', serve[0]!);
  router.use(serve[1]!);
  return { router, asset };
}

/** False for a missing file, a folder, or a name the file system refuses (too long, say). */
function isFile(name: string): boolean {
  try {
    return fs.statSync(name, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

interface Prepared {
  extension: string;
  etag: string;
  raw: Buffer;
  /** The raw bytes again where compressing does not make them smaller. */
  br: Buffer;
  gzip: Buffer;
}

async function prepare(file: string): Promise<Prepared> {
  const raw = await fs.promises.readFile(file);
  const [br, gz] = await Promise.all([
    brotli(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
    gzip(raw, { level: 9 }),
  ]);
  return {
    extension: path.extname(file),
    etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`,
    raw,
    br: br.length < raw.length ? br : raw,
    gzip: gz.length < raw.length ? gz : raw,
  };
}
