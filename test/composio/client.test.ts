import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createComposioGateway, type ComposioGatewayOptions } from '../../server/composio/client';
import { ComposioError } from '../../server/composio/types';
import { type FakeAccount, type FakeComposio, startFakeComposio } from '../fakes/composio-server';

// The real SDK client runs against the fake over HTTP; nothing here is mocked.
let fake: FakeComposio;
beforeAll(async () => {
  fake = await startFakeComposio({ apiKey: 'sk-test-do-not-leak' });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function gateway(overrides: Partial<ComposioGatewayOptions> = {}) {
  return createComposioGateway({
    apiKey: fake.apiKey,
    baseURL: fake.url,
    timeoutMs: 500,
    maxRetryAfterMs: 1500,
    retryDelayMs: 5,
    ...overrides,
  });
}

function account(n: number, extra: Partial<FakeAccount> = {}): FakeAccount {
  return { id: `ca_${n}`, userId: 'team-7', toolkit: 'gmail', ...extra };
}

const listRequests = () => fake.requests.filter((r) => r.method === 'GET' && r.path === '/api/v3.1/connected_accounts');

async function failureOf(promise: Promise<unknown>): Promise<ComposioError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ComposioError);
  return err as ComposioError;
}

describe('listAccounts', () => {
  test('follows every page, one user id at a time, always with a limit', async () => {
    fake.setAccounts([...Array.from({ length: 450 }, (_, i) => account(i)), account(999, { userId: 'someone-else' })]);

    const accounts = await gateway().listAccounts('team-7');

    expect(new Set(accounts.map((a) => a.id)).size).toBe(450);
    expect(accounts.map((a) => a.id)).not.toContain('ca_999');
    const requests = listRequests();
    expect(requests).toHaveLength(3);
    for (const r of requests) expect(r.query).toMatchObject({ user_ids: 'team-7', limit: '200' });
    expect(requests[0]?.query.cursor).toBeUndefined();
    expect(requests[1]?.query.cursor).toEqual(expect.any(String));
    expect(requests[2]?.query.cursor).not.toBe(requests[1]?.query.cursor);
  });

  test('an account pushed onto the next page while paging is returned once', async () => {
    const minute = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();
    fake.setAccounts(Array.from({ length: 201 }, (_, i) => account(i, { createdAt: minute(i) })));
    // Newest first: a new account on page one shifts the last one of page one onto page two.
    fake.onRequest((r) => {
      if (r.query.cursor) fake.accounts.push(account(500, { createdAt: minute(1000) }));
    });

    const ids = (await gateway().listAccounts('team-7')).map((a) => a.id);

    expect(listRequests()).toHaveLength(2);
    expect(ids).toHaveLength(201);
    expect(new Set(ids).size).toBe(201);
  });

  test('maps status, disabled flag, dates and lower-cases the toolkit slug', async () => {
    fake.setAccounts([
      account(1, {
        toolkit: 'GMail',
        status: 'EXPIRED',
        isDisabled: true,
        createdAt: '2026-02-01T10:00:00Z',
        updatedAt: '2026-03-01T10:00:00Z',
      }),
    ]);

    const [only] = await gateway().listAccounts('team-7');

    expect(only).toEqual({
      id: 'ca_1',
      toolkitSlug: 'gmail',
      status: 'EXPIRED',
      isDisabled: true,
      identity: null,
      statusReason: null,
      createdAt: new Date('2026-02-01T10:00:00Z'),
      updatedAt: new Date('2026-03-01T10:00:00Z'),
    });
  });

  test('takes identity from alias, else a real email, else a login, in data or state, never REDACTED or made up', async () => {
    fake.setAccounts([
      account(1, { alias: 'Support inbox', email: 'support@example.com' }),
      account(2, { email: 'ops@example.com' }),
      account(3, { data: { email: 'data@example.com' } }),
      account(4, { email: 'REDACTED', data: { email: 'REDACTED' } }),
      account(5),
      account(6, { alias: '  ', email: 'blank-alias@example.com' }),
      account(7, { data: { login: 'octocat' } }),
      account(8, { data: { login: 'REDACTED', username: 'notion-ana' } }),
    ]);

    const accounts = await gateway().listAccounts('team-7');
    const identity = Object.fromEntries(accounts.map((a) => [a.id, a.identity]));

    expect(identity).toEqual({
      ca_1: 'Support inbox',
      ca_2: 'ops@example.com',
      ca_3: 'data@example.com',
      ca_4: null,
      ca_5: null,
      ca_6: 'blank-alias@example.com',
      ca_7: 'octocat',
      ca_8: 'notion-ana',
    });
  });

  test('passes googledrive and unknown toolkits through for the caller to map', async () => {
    fake.setAccounts([account(1, { toolkit: 'googledrive' }), account(2, { toolkit: 'slack_unknown' })]);

    const slugs = (await gateway().listAccounts('team-7')).map((a) => a.toolkitSlug).sort();

    expect(slugs).toEqual(['googledrive', 'slack_unknown']);
  });

  test('a 500 is retried a bounded number of times, then fails with Composio’s message', async () => {
    fake.failAlways({ status: 500, message: 'Database on fire' });
    const warnings: object[] = [];

    const err = await failureOf(gateway({ maxRetries: 2, logger: { warn: (obj) => warnings.push(obj) } }).listAccounts('team-7'));

    expect(err.message).toBe('Database on fire');
    expect(err.status).toBe(500);
    expect(fake.requests).toHaveLength(3);
    expect(warnings).toHaveLength(2);
    expect(JSON.stringify(warnings)).not.toContain(fake.apiKey);
  });

  test('a passing 503 is retried and the list still arrives', async () => {
    fake.setAccounts([account(1)]);
    fake.failNext(1, { status: 503, message: 'Try later' });

    const accounts = await gateway().listAccounts('team-7');

    expect(accounts.map((a) => a.id)).toEqual(['ca_1']);
    expect(fake.requests).toHaveLength(2);
  });

  test('a 429 with a short Retry-After is waited out, then retried', async () => {
    fake.setAccounts([account(1)]);
    fake.failNext(1, { status: 429, message: 'Rate limit exceeded', retryAfterSeconds: 1 });

    const started = Date.now();
    const accounts = await gateway({ maxRetryAfterMs: 2000 }).listAccounts('team-7');

    expect(accounts).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.requests).toHaveLength(2);
  });

  test('a 429 with a long Retry-After fails at once and says when to try again', async () => {
    fake.failAlways({ status: 429, message: 'Rate limit exceeded', retryAfterSeconds: 3600 });

    // One request and no retry: it did not sit out the hour (the test would time out if it had).
    const err = await failureOf(gateway().listAccounts('team-7'));

    expect(err.status).toBe(429);
    expect(err.message).toBe('Composio is rate limiting requests (Rate limit exceeded); try again in about 60 minutes');
    expect(fake.requests).toHaveLength(1);
  });

  test('a slow Composio times out, is retried, then fails with a plain message', async () => {
    fake.setAccounts([account(1)]);
    fake.setDelayMs(400);

    const err = await failureOf(gateway({ timeoutMs: 100, maxRetries: 1 }).listAccounts('team-7'));

    expect(err.message).toBe('Composio did not answer within 0.1 seconds');
    expect(err.status).toBeNull();
    expect(fake.requests).toHaveLength(2);
  });

  test('an unreachable Composio fails with a plain message', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const err = await failureOf(gateway({ baseURL: `http://127.0.0.1:${port}`, maxRetries: 1 }).listAccounts('team-7'));

    expect(err.message).toBe(`Could not reach Composio at 127.0.0.1:${port}`);
    expect(err.status).toBeNull();
  });

  test.each(['html', 'truncated-json', 'wrong-shape'] as const)('a malformed body (%s) becomes a ComposioError', async (mode) => {
    fake.setAccounts([account(1)]);
    fake.setMalformed(mode);

    const err = await failureOf(gateway().listAccounts('team-7'));

    expect(err.message).toBe('Composio returned a response Switchboard could not read');
    expect(fake.requests).toHaveLength(1);
  });

  test('a wrong API key fails with 401, unretried, without echoing any key', async () => {
    process.env.COMPOSIO_API_KEY = fake.apiKey; // must not be picked up by the SDK
    try {
      const err = await failureOf(gateway({ apiKey: 'sk-wrong-key' }).listAccounts('team-7'));

      expect(err.status).toBe(401);
      expect(err.message).toMatch(/Invalid API key/);
      expect(err.message).not.toContain('sk-');
      expect(fake.requests).toHaveLength(1);
    } finally {
      delete process.env.COMPOSIO_API_KEY;
    }
  });

  test('a server that hands out new cursors forever is stopped after maxPages', async () => {
    fake.setAccounts([account(1)]);
    fake.setEndlessCursor('fresh');

    const err = await failureOf(gateway({ maxPages: 5 }).listAccounts('team-7'));

    expect(err.message).toBe('Composio still had more pages after 5; stopped listing accounts');
    expect(listRequests()).toHaveLength(5);
  });

  test('a server that repeats a cursor is stopped as soon as it does', async () => {
    fake.setAccounts([account(1)]);
    fake.setEndlessCursor('same');

    const err = await failureOf(gateway().listAccounts('team-7'));

    expect(err.message).toBe('Composio returned the same page twice while listing accounts');
    expect(listRequests()).toHaveLength(2);
  });
});

describe('revokeAccount', () => {
  test('deletes the account with upstream revocation', async () => {
    fake.setAccounts([account(1), account(2)]);

    await gateway().revokeAccount('ca_1');

    expect(fake.requests).toEqual([{ method: 'DELETE', path: '/api/v3.1/connected_accounts/ca_1', query: { revoke_on_delete: 'true' } }]);
    expect(fake.revokedIds).toEqual(['ca_1']);
    expect(fake.accounts.map((a) => a.id)).toEqual(['ca_2']);
  });

  test('an account Composio no longer knows counts as revoked', async () => {
    await expect(gateway().revokeAccount('ca_gone')).resolves.toBeUndefined();
    expect(fake.requests).toHaveLength(1);
  });

  test.each([
    [400, 'This toolkit does not support revoking credentials'],
    [409, 'Connected account is not ACTIVE'],
  ])('a refused revoke (%i) fails with Composio’s message, unretried', async (status, message) => {
    fake.setAccounts([account(1)]);
    fake.setRefuseRevoke('ca_1', status, message);

    const err = await failureOf(gateway().revokeAccount('ca_1'));

    expect(err.message).toBe(message);
    expect(err.status).toBe(status);
    expect(fake.requests).toHaveLength(1);
    expect(fake.accounts.map((a) => a.id)).toEqual(['ca_1']);
  });

  test('a 502 during revoke is retried', async () => {
    fake.setAccounts([account(1)]);
    fake.failNext(1, { status: 502, message: 'Bad gateway' });

    await gateway().revokeAccount('ca_1');

    expect(fake.requests).toHaveLength(2);
    expect(fake.revokedIds).toEqual(['ca_1']);
  });
});
