import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPublicAddress } from '../../server/mcp/tools/address-policy';
import { htmlToText } from '../../server/mcp/tools/html-text';
import { readPage, type PageReaderOptions } from '../../server/mcp/tools/page-reader';

/**
 * A local server stands in for the web. It is on loopback, so the tests that need it as a "public"
 * origin use an address policy that allows exactly 127.0.0.1 and is the real policy otherwise, and a
 * resolver that maps test names to addresses (a real function, consulted by the real connection).
 */
let origin: http.Server;
let port: number;
const hits: string[] = [];
beforeAll(async () => {
  origin = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://origin.test');
    if (url.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(
        '<html><head><title>Quarterly &amp; more</title><style>p{}</style></head><body><script>var secret = 1;</script><h1>Numbers</h1><p>Revenue grew&nbsp;10%.</p><!-- hidden --><ul><li>One</li><li>Two</li></ul></body></html>',
      );
    }
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/page' });
      return res.end();
    }
    if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' });
      return res.end();
    }
    if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('x'.repeat(200_000));
    }
    if (url.pathname === '/image') {
      res.writeHead(200, { 'content-type': 'image/png' });
      return res.end(Buffer.alloc(10));
    }
    if (url.pathname === '/slow') return; // never answers
    res.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  port = (origin.address() as AddressInfo).port;
});
afterAll(async () => {
  origin.closeAllConnections();
  await new Promise<void>((resolve) => origin.close(() => resolve()));
});
beforeEach(() => {
  hits.length = 0;
});

const names: Record<string, string[]> = {
  'origin.test': ['127.0.0.1'],
  'intranet.example.com': ['10.0.0.5'],
  'mixed.example.com': ['93.184.215.14', '192.168.1.20'],
  'metadata.example.com': ['169.254.169.254'],
  'v6.example.com': ['fd00:ec2::254'],
};
const resolve: PageReaderOptions['resolve'] = async (hostname) => {
  const addresses = names[hostname];
  if (!addresses) throw new Error(`ENOTFOUND ${hostname}`);
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
/** The real policy, except that the stand-in origin on 127.0.0.1 counts as public. */
const withOrigin: Partial<PageReaderOptions> = { resolve, isAllowedAddress: (a) => a === '127.0.0.1' || isPublicAddress(a) };

describe('the address policy', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.100.100.200',
    '0.0.0.0',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:a00:5',
    'fd00:ec2::254',
    'fe80::1',
    '224.0.0.1',
    'not-an-ip',
  ])('refuses %s', (address) => expect(isPublicAddress(address)).toBe(false));
  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('allows %s', (address) => expect(isPublicAddress(address)).toBe(true));
});

describe('the page reader refuses', () => {
  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${port}/page`, /127\.0\.0\.1 is a private, loopback/],
    ['10.x', () => 'http://10.0.0.1/', /10\.0\.0\.1 is a private/],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a private/],
    ['localhost', () => `http://localhost:${port}/page`, /localhost is a private/],
    ['IPv6 loopback', () => `http://[::1]:${port}/page`, /::1 is a private/],
    ['an IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port}/page`, /is a private/],
  ])('%s with the real policy, without connecting', async (_name, url, message) => {
    await expect(readPage(url())).rejects.toThrow(message);
    expect(hits).toEqual([]);
  });

  it('a public-looking name that resolves to a private address, or to one among several', async () => {
    await expect(readPage('http://intranet.example.com/', { resolve })).rejects.toThrow(
      'intranet.example.com resolves to 10.0.0.5, which is a private',
    );
    await expect(readPage('https://mixed.example.com/', { resolve })).rejects.toThrow('resolves to 192.168.1.20');
    await expect(readPage('http://metadata.example.com/', { resolve })).rejects.toThrow('resolves to 169.254.169.254');
    await expect(readPage('http://v6.example.com/', { resolve })).rejects.toThrow('resolves to fd00:ec2::254');
  });

  it('a redirect to a private name or address, after fetching the first page', async () => {
    for (const [to, message] of [
      ['http://intranet.example.com/admin', 'The page redirected to intranet.example.com: intranet.example.com resolves to 10.0.0.5'],
      ['http://169.254.169.254/latest/meta-data/', 'The page redirected to 169.254.169.254: 169.254.169.254 is a private'],
      [`http://127.0.0.2:${port}/page`, 'The page redirected to 127.0.0.2: 127.0.0.2 is a private'],
      ['file:///etc/passwd', 'is not http or https'],
    ]) {
      hits.length = 0;
      await expect(readPage(`http://origin.test:${port}/redirect?to=${encodeURIComponent(to!)}`, withOrigin)).rejects.toThrow(message);
      expect(hits).toEqual([`/redirect?to=${encodeURIComponent(to!)}`]);
    }
  });

  it('other schemes, credentials, non-text pages, errors and too many redirects, in words', async () => {
    await expect(readPage('ftp://example.com/file')).rejects.toThrow('not http or https');
    await expect(readPage('not a url')).rejects.toThrow('is not a web address');
    await expect(readPage(`http://user:pw@origin.test:${port}/page`, withOrigin)).rejects.toThrow('user name or password');
    await expect(readPage(`http://origin.test:${port}/image`, withOrigin)).rejects.toThrow(
      'The page is image/png, not a text or HTML page.',
    );
    await expect(readPage(`http://origin.test:${port}/missing`, withOrigin)).rejects.toThrow('The page answered with HTTP 404');
    await expect(readPage(`http://origin.test:${port}/loop`, { ...withOrigin, maxRedirects: 3 })).rejects.toThrow(
      'redirected more than 3 times',
    );
    await expect(readPage('http://unknown.example.com/', withOrigin)).rejects.toThrow('Could not find the address of unknown.example.com.');
  });

  it('to wait longer than its timeout', async () => {
    await expect(readPage(`http://origin.test:${port}/slow`, { ...withOrigin, timeoutMs: 300 })).rejects.toThrow(
      'The page did not answer within 0.3 seconds.',
    );
  });
});

describe('the page reader reads', () => {
  it('a page’s title and text, following a redirect, without scripts, styles or comments', async () => {
    const page = await readPage(`http://origin.test:${port}/redirect?to=/page`, withOrigin);
    expect(page).toEqual({
      url: `http://origin.test:${port}/page`,
      status: 200,
      title: 'Quarterly & more',
      text: 'Numbers\nRevenue grew 10%.\nOne\nTwo',
      truncated: false,
    });
    expect(hits).toEqual(['/redirect?to=/page', '/page']);
  });

  it('at most maxBytes of a large page, and says it was cut', async () => {
    const page = await readPage(`http://origin.test:${port}/big`, { ...withOrigin, maxBytes: 1000 });
    expect(page.text).toBe('x'.repeat(1000));
    expect(page.truncated).toBe(true);
  });

  it('hostile unclosed markup as no text, and entities it knows', () => {
    const hostile = '<script'.repeat(20_000) + '<p>'.repeat(20_000);
    const { text } = htmlToText(hostile);
    expect(text).toBe('');
    expect(htmlToText('<p>caf&eacute; &#233; &#xe9; &bogus;</p>').text).toBe('caf&eacute; é é &bogus;');
  });
});
