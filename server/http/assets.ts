import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
const HASH = /^[0-9a-f]{12}$/;

/**
 * Static files under /static, from public/ and htmx's dist folder. Templates link them through
 * asset('/css/app.css'), which gives /static/<content hash>/css/app.css: a URL that changes whenever
 * the file does, so browsers may keep it for a year. Plain /static/... URLs keep working with a
 * short cache, and an old hash still serves the current file (briefly cached) during a deploy.
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
  const serve = sources.map((s) =>
    express.static(s.dir, {
      index: false,
      maxAge: 0,
      setHeaders: (res) =>
        res.setHeader(
          'Cache-Control',
          res.locals.immutable ? `public, max-age=${ONE_YEAR_SECONDS}, immutable` : `public, max-age=${shortCache}`,
        ),
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

  const router = Router();
  router.use(fingerprinted);
  router.use('/htmx', serve[0]!);
  router.use(serve[1]!);
  return { router, asset };
}
