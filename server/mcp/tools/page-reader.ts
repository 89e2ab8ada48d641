import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './address-policy';
import { htmlToText } from './html-text';

/**
 * The Web page reader: fetches one public http(s) page and returns its text. Every address a name
 * resolves to, and every redirect, is checked before a connection is made; the check runs inside
 * the connection's own lookup, so a name cannot resolve to something else between check and use.
 */
export interface PageReaderOptions {
  /** Every address of a name (dns.lookup with all: true by default). Tests pass their own. */
  resolve: (hostname: string) => Promise<{ address: string; family: number }[]>;
  /** Which addresses may be connected to; public unicast by default. */
  isAllowedAddress: (address: string) => boolean;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** Longest text returned. */
  maxChars: number;
}

export const defaultPageReaderOptions: PageReaderOptions = {
  resolve: (hostname) => dns.lookup(hostname, { all: true, verbatim: true }),
  isAllowedAddress: isPublicAddress,
  maxBytes: 1_000_000,
  timeoutMs: 10_000,
  maxRedirects: 5,
  maxChars: 50_000,
};

/** A page that cannot or may not be read, said in words. */
export class PageReadError extends Error {
  override name = 'PageReadError';
}

export interface PageText {
  url: string;
  status: number;
  title: string | null;
  text: string;
  truncated: boolean;
}

const TEXT_TYPES = /^(text\/[a-z0-9.+-]+|application\/(json|xml|xhtml\+xml|[a-z0-9.-]+\+(json|xml)))$/;

export async function readPage(rawUrl: string, options: Partial<PageReaderOptions> = {}): Promise<PageText> {
  const opts = { ...defaultPageReaderOptions, ...options };
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  let url = checkUrl(rawUrl, opts, null);
  let from: URL | null = null;
  for (let hop = 0; ; hop++) {
    const response = await request(url, opts, deadline, from);
    const location = response.headers.location;
    if (response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && location) {
      response.destroy();
      if (hop >= opts.maxRedirects) throw new PageReadError(`The page redirected more than ${opts.maxRedirects} times; stopped.`);
      from = url;
      url = checkUrl(new URL(location, url).toString(), opts, from);
      continue;
    }
    return readBody(url, response, opts, deadline);
  }
}

function checkUrl(raw: string, opts: PageReaderOptions, from: URL | null): URL {
  const where = from ? `The page redirected to ${raw.slice(0, 200)}, which` : `${raw.slice(0, 200)}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PageReadError(
      `${from ? where + ' is' : `"${raw.slice(0, 200)}" is`} not a web address. Give a full address such as https://example.com/page.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PageReadError(`${from ? where + ' is' : 'That address is'} not http or https; the page reader only reads web pages.`);
  }
  if (url.username || url.password) throw new PageReadError('Addresses with a user name or password are not read.');
  const host = hostOf(url);
  if (host === 'localhost' || host.endsWith('.localhost')) throw refusal(host, null, from);
  if (isIP(host) && !opts.isAllowedAddress(host)) throw refusal(host, null, from);
  return url;
}

function refusal(host: string, address: string | null, from: URL | null): PageReadError {
  const what = address ? `${host} resolves to ${address}, which is` : `${host} is`;
  const lead = from ? `The page redirected to ${host}: ${what}` : what;
  return new PageReadError(`${lead} a private, loopback, link-local or reserved address. The page reader only reads public web pages.`);
}

function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.$/, '');
}

/** One request without following redirects; the connection's lookup checks every resolved address. */
function request(url: URL, opts: PageReaderOptions, signal: AbortSignal, from: URL | null): Promise<http.IncomingMessage> {
  const host = hostOf(url);
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    opts
      .resolve(hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw new PageReadError(`Could not find the address of ${hostname}.`);
        const refused = addresses.find((a) => !opts.isAllowedAddress(a.address));
        if (refused) throw refusal(hostname, refused.address, from);
        if (lookupOptions.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      })
      .catch((error: unknown) => {
        const failure = error instanceof PageReadError ? error : new PageReadError(`Could not find the address of ${hostname}.`);
        callback(failure as NodeJS.ErrnoException, '', 4);
      });
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'GET',
        agent: false,
        lookup,
        signal,
        headers: { 'user-agent': 'Switchboard page reader', accept: 'text/html, text/plain;q=0.9, */*;q=0.1' },
      },
      resolve,
    );
    req.on('error', (error) => reject(failureOf(error, host, opts, signal)));
    req.end();
  });
}

function failureOf(error: unknown, host: string, opts: PageReaderOptions, signal: AbortSignal): PageReadError {
  if (error instanceof PageReadError) return error;
  if (signal.aborted) return new PageReadError(`The page did not answer within ${opts.timeoutMs / 1000} seconds.`);
  return new PageReadError(`Could not connect to ${host}.`);
}

async function readBody(url: URL, response: http.IncomingMessage, opts: PageReaderOptions, signal: AbortSignal): Promise<PageText> {
  const status = response.statusCode ?? 0;
  const contentType = String(response.headers['content-type'] ?? 'text/plain').toLowerCase();
  const mediaType = contentType.split(';')[0]!.trim();
  if (status >= 400) {
    response.destroy();
    throw new PageReadError(`The page answered with HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}.`);
  }
  if (!TEXT_TYPES.test(mediaType)) {
    response.destroy();
    throw new PageReadError(`The page is ${mediaType || 'not text'}, not a text or HTML page.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of response) {
      const buffer = chunk as Buffer;
      const room = opts.maxBytes - size;
      if (buffer.length >= room) {
        chunks.push(buffer.subarray(0, room));
        size += room;
        truncated = true;
        break;
      }
      chunks.push(buffer);
      size += buffer.length;
    }
  } catch (error) {
    throw failureOf(error, hostOf(url), opts, signal);
  } finally {
    response.destroy();
  }
  const body = decode(Buffer.concat(chunks), /charset=([^;]+)/.exec(contentType)?.[1]?.trim().replace(/"/g, ''));
  const isHtml = mediaType === 'text/html' || mediaType === 'application/xhtml+xml';
  const { title, text } = isHtml ? htmlToText(body) : { title: null, text: body.trim() };
  const clipped = text.length > opts.maxChars;
  return { url: url.toString(), status, title, text: clipped ? text.slice(0, opts.maxChars) : text, truncated: truncated || clipped };
}

function decode(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}
