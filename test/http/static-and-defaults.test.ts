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
