import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import request from 'supertest';
import { makeTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

const ONE_YEAR = 'public, max-age=31536000, immutable';

describe('static files', () => {
  it('are linked by content hash and kept for a year; plain URLs still work with a short cache', async () => {
    const login = await request(t.app).get('/login').expect(200);
    const urls = [...login.text.matchAll(/(?:href|src)="(\/static\/[0-9a-f]{12}\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls.map((u) => u.replace(/[0-9a-f]{12}\//, ''))).toEqual([
      '/static/favicon.svg',
      '/static/css/app.css',
      '/static/htmx/htmx.min.js',
      '/static/js/app.js',
    ]);
    for (const url of urls) {
      const res = await request(t.app).get(url).expect(200);
      expect([url, res.headers['cache-control']]).toEqual([url, ONE_YEAR]);
      const plain = await request(t.app)
        .get(url.replace(/[0-9a-f]{12}\//, ''))
        .expect(200);
      expect(plain.headers['cache-control']).toBe('public, max-age=3600');
      expect(plain.text).toBe(res.text);
    }
  });

  it('an old hash serves the current file without the long cache; unknown files are 404', async () => {
    const res = await request(t.app).get('/static/000000000000/css/app.css').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    await request(t.app).get('/static/000000000000/css/none.css').expect(404);
    await request(t.app).get('/static/000000000000/../../package.json').expect(404);
  });
});

describe('static files, compressed once at the highest levels', () => {
  const htmxFile = fs.readFileSync(path.join(__dirname, '..', '..', 'node_modules', 'htmx.org', 'dist', 'htmx.min.js'));
  // Straight from a socket: supertest would decompress the body before the test could see it.
  const raw = async (url: string, encoding: string) => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      return await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: url, headers: { 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          })
          .on('error', reject);
      });
    } finally {
      server.close();
    }
  };

  it('send brotli at quality 11, gzip at level 9, or the file as it is, each the exact bytes of the file', async () => {
    const url = `/static/${(await request(t.app).get('/login')).text.match(/\/static\/([0-9a-f]{12})\/htmx\/htmx\.min\.js/)![1]}/htmx/htmx.min.js`;
    const br = await raw(url, 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(br.body).equals(htmxFile)).toBe(true);
    const quality4 = zlib.brotliCompressSync(htmxFile, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }).length;
    expect(br.body.length).toBeLessThan(quality4 - 1000);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(br.headers['cache-control']).toBe(ONE_YEAR);

    const gz = await raw(url, 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).equals(htmxFile)).toBe(true);

    const plain = await raw(url, 'identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(htmxFile)).toBe(true);
    expect(plain.headers['content-type']).toMatch(/javascript/);
  });

  it('answer a revalidation with 304 and a HEAD with headers only', async () => {
    const first = await request(t.app).get('/static/css/app.css').expect(200);
    expect(first.headers.etag).toMatch(/^"[\w-]+"$/);
    await request(t.app).get('/static/css/app.css').set('If-None-Match', first.headers.etag!).expect(304);
    const head = await request(t.app).head('/static/css/app.css').set('Accept-Encoding', 'br').expect(200);
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.text ?? '').toBe('');
  });

  it('pages, made per request, are compressed at the fastest levels: brotli quality 1, gzip level 1', async () => {
    // Compressing the received page again with the same settings gives the same bytes; the
    // middleware's defaults (brotli 4, gzip 6) give others, so this tells the levels apart.
    const compressed = (encoder: zlib.BrotliCompress | zlib.Gzip, body: Buffer) => buffer(encoder.end(body));
    const quality = (q: number) => zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: q } });

    const br = await raw('/login', 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    const page = zlib.brotliDecompressSync(br.body);
    expect(page.toString()).toContain('<form');
    expect(br.body.equals(await compressed(quality(1), page))).toBe(true);
    expect(br.body.equals(await compressed(quality(4), page))).toBe(false);

    const gz = await raw('/login', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    const again = zlib.gunzipSync(gz.body);
    expect(gz.body.equals(await compressed(zlib.createGzip({ level: 1 }), again))).toBe(true);
    expect(gz.body.equals(await compressed(zlib.createGzip({ level: 6 }), again))).toBe(false);
  });

  it("carry the headers a file needs (nosniff, same-origin) and not the pages' CSP, which pages keep", async () => {
    for (const app of [t.app, makeTestApp({ config: { DEV_MODE: '1' } })]) {
      const file = await request('app' in app ? app.app : app)
        .get('/static/js/app.js')
        .expect(200);
      expect(file.headers['x-content-type-options']).toBe('nosniff');
      expect(file.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(file.headers['content-security-policy']).toBeUndefined();
      if ('app' in app) await app.close();
    }
    const page = await request(t.app).get('/login').expect(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    // Pages are no-store, so they carry no ETag to revalidate with.
    expect([page.headers['cache-control'], page.headers.etag]).toEqual(['no-store', undefined]);
    const missing = await request(t.app).get('/static/css/none.css').expect(404);
    expect(missing.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('production-grade defaults', () => {
  it('compress pages and static files for clients that accept it', async () => {
    const page = await request(t.app).get('/login').set('Accept-Encoding', 'gzip');
    expect(page.headers['content-encoding']).toBe('gzip');
    const htmx = await request(t.app).get('/static/htmx/htmx.min.js').set('Accept-Encoding', 'br, gzip');
    expect(['br', 'gzip']).toContain(htmx.headers['content-encoding']);
  });

  it('cache compiled templates unless DEV_MODE asks otherwise', () => {
    expect(t.app.get('view cache')).toBe(true);
    const dev = makeTestApp({ config: { DEV_MODE: '1' } });
    expect(dev.app.get('view cache')).toBe(false);
    return dev.close();
  });
});
