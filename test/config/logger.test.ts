import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { loadConfig } from '../../server/config';
import { createLogger, developmentDestination } from '../../server/logger';

function collect(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('logs', () => {
  it('are JSON lines by default (npm start, production)', () => {
    const out = collect();
    createLogger('info', out.stream).info({ method: 'GET', path: '/app', status: 200, ms: 12 }, 'request');
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, msg: 'request', method: 'GET', path: '/app', status: 200, ms: 12 });
  });

  it('are one readable line per entry under npm run dev, a request as method, path, status and time', () => {
    const out = collect();
    const warnings: string[] = [];
    const logger = createLogger(
      'info',
      developmentDestination((msg) => warnings.push(msg), out.stream),
    );
    logger.child({ requestId: 'r-1' }).info({ method: 'GET', path: '/app', status: 200, ms: 12 }, 'request');
    logger.info({ teamId: 3 }, 'Background sync done');
    // Colours depend on the terminal (pino-pretty detects them); the words do not.
    const lines = stripVTControlCharacters(out.text()).trimEnd().split('\n');
    expect(warnings).toEqual([]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: GET \/app 200 12 ms$/);
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: Background sync done \{"teamId":3\}$/);
  });
});

describe('LOG_FORMAT', () => {
  const base = { SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789', ENCRYPTION_KEY: 'a'.repeat(64) };
  it('is json unless DEV_MODE is set, pretty under DEV_MODE, and either one when named', () => {
    expect(loadConfig(base).logFormat).toBe('json');
    expect(loadConfig({ ...base, DEV_MODE: '1' }).logFormat).toBe('pretty');
    expect(loadConfig({ ...base, LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ ...base, DEV_MODE: '1', LOG_FORMAT: 'json' }).logFormat).toBe('json');
  });

  it('refuses anything else, in words', () => {
    expect(() => loadConfig({ ...base, LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT.*must be 'json' or 'pretty'/);
  });
});
