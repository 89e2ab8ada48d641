import * as password from '../../server/auth/password';
import { MAX_ATTEMPTS_PER_ACCOUNT, MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS } from '../../server/auth/service';
import { createUser, csrfFrom, makeTestApp, serveApp, type Served, type TestApp } from '../helpers/app';

// The app trusts the loopback proxy, so X-Forwarded-For sets the client address, as behind nginx.
let t: TestApp;
let served: Served;
let base: string;
beforeAll(async () => {
  t = makeTestApp({ config: { TRUST_PROXY: 'loopback' } });
  served = await serveApp(t.app);
  base = served.base;
});
afterAll(async () => {
  await served.close();
  await t.close();
});
afterEach(() => jest.restoreAllMocks());

/** An anonymous visitor's CSRF cookie and token, taken once from the sign-in page. */
async function signInForm(address: string) {
  const res = await fetch(`${base}/login`, { headers: { 'X-Forwarded-For': address } });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cookie, token: csrfFrom(await res.text()) };
}

async function attempt(
  form: { cookie: string; token: string },
  address: string,
  email: string,
  secret: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: form.cookie, 'X-Forwarded-For': address },
    body: new URLSearchParams({ email, password: secret, _csrf: form.token }).toString(),
  });
  return { status: res.status, text: await res.text() };
}

const statuses = (results: { status: number }[]) =>
  results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});

describe('sign-in throttling', () => {
  it('400 parallel wrong passwords from one address check at most the limit; the owner still signs in from another address', async () => {
    const user = await createUser(t.db);
    const checks = jest.spyOn(password, 'verifyPassword');
    const attacker = '203.0.113.7';
    const form = await signInForm(attacker);
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) => attempt(form, attacker, user.email, `guess-${i}`)));
    expect(checks).toHaveBeenCalledTimes(MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS);
    expect(statuses(results)).toEqual({ 401: MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS, 429: 400 - MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS });
    expect(results.find((r) => r.status === 429)!.text).toMatch(/Too many sign-in attempts\. Try again in 15 minutes\./);

    // Even the right password is refused from the attacker's address, without being checked...
    expect((await attempt(form, attacker, user.email, user.password)).status).toBe(429);
    expect(checks).toHaveBeenCalledTimes(MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS);
    // ...while the owner, elsewhere, gets in.
    const owner = '198.51.100.20';
    expect((await attempt(await signInForm(owner), owner, user.email, user.password)).status).toBe(303);
  });

  it('guesses from many addresses reach the looser per-account limit', async () => {
    const user = await createUser(t.db);
    const checks = jest.spyOn(password, 'verifyPassword');
    const addresses = Array.from({ length: 20 }, (_, i) => `192.0.2.${i + 1}`);
    const results = await Promise.all(
      addresses.map(async (address) => {
        const form = await signInForm(address);
        return Promise.all(Array.from({ length: 10 }, (_, i) => attempt(form, address, user.email, `guess-${i}`)));
      }),
    );
    expect(checks).toHaveBeenCalledTimes(MAX_ATTEMPTS_PER_ACCOUNT);
    expect(statuses(results.flat())).toEqual({ 401: MAX_ATTEMPTS_PER_ACCOUNT, 429: 200 - MAX_ATTEMPTS_PER_ACCOUNT });
    const elsewhere = '198.51.100.99';
    expect((await attempt(await signInForm(elsewhere), elsewhere, user.email, user.password)).status).toBe(429);
  });

  it('a window that ended over its limit makes the next one twice as long', async () => {
    const user = await createUser(t.db);
    const address = '203.0.113.9';
    const form = await signInForm(address);
    for (let i = 0; i <= MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS; i++) await attempt(form, address, user.email, 'wrong');
    // The 15-minute window has passed.
    await t.db.withOwner((tx) =>
      tx.query(`UPDATE login_throttle SET window_started_at = now() - interval '16 minutes' WHERE key = $1`, [
        `pair:${user.email}|${address}`,
      ]),
    );
    const next = [];
    for (let i = 0; i <= MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS; i++) next.push((await attempt(form, address, user.email, 'wrong')).status);
    expect(next).toEqual([...Array(MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS).fill(401), 429]);
    expect((await attempt(form, address, user.email, user.password)).text).toMatch(/Try again in 30 minutes\./);
  });

  it('a successful sign-in clears the account’s count', async () => {
    const user = await createUser(t.db);
    const address = '203.0.113.10';
    const form = await signInForm(address);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS - 1; i++)
        expect((await attempt(form, address, user.email, 'wrong')).status).toBe(401);
      expect((await attempt(form, address, user.email, user.password)).status).toBe(303);
    }
  });
});
