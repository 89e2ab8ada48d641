import { type FakeAccount, type FakeComposio, startFakeComposio } from './composio-server';

// The fake's list endpoint over HTTP, as Composio's wire format has it: the tests and the benchmark
// page through it, so its order and cursors have to hold across many pages and changes between them.
let fake: FakeComposio;
beforeAll(async () => {
  fake = await startFakeComposio();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

interface WireAccount {
  id: string;
  status: string;
  created_at: string;
  updated_at: string;
  state: { val: { email?: string } };
}
interface ListBody {
  items: WireAccount[];
  next_cursor: string | null;
  total_pages: number;
  current_page: number;
  total_items: number;
}

async function listPage(query: Record<string, string>): Promise<{ status: number; body: ListBody }> {
  const url = new URL('/api/v3.1/connected_accounts', fake.url);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const res = await fetch(url, { headers: { 'x-api-key': fake.apiKey } });
  return { status: res.status, body: (await res.json()) as ListBody };
}

/** Every page from the first, following next_cursor; `between` runs before each page after the first. */
async function listAll(query: Record<string, string>, between: (pagesRead: number) => void = () => {}): Promise<ListBody[]> {
  const pages: ListBody[] = [];
  let cursor: string | null = null;
  do {
    if (pages.length > 0) between(pages.length);
    const { status, body } = await listPage(cursor ? { ...query, cursor } : query);
    expect(status).toBe(200);
    pages.push(body);
    cursor = body.next_cursor;
  } while (cursor);
  return pages;
}

const minute = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();
const ids = (pages: ListBody[]) => pages.flatMap((p) => p.items.map((a) => a.id));

/** 1,000 accounts of team-7 in no particular order, twenty sharing each creation minute. */
function manyAccounts(): FakeAccount[] {
  return Array.from({ length: 1000 }, (_, i) => ({
    id: `ca_${(i * 379) % 1000}`,
    userId: 'team-7',
    toolkit: i % 3 ? 'gmail' : 'GitHub',
    createdAt: minute((i * 7) % 50),
    updatedAt: minute(100 + ((i * 11) % 300)),
  }));
}

/** Newest first, ties by id, written out independently of the fake. */
function expectedOrder(accounts: FakeAccount[], field: 'createdAt' | 'updatedAt'): string[] {
  return [...accounts].sort((a, b) => (a[field]! === b[field]! ? (a.id < b.id ? -1 : 1) : a[field]! > b[field]! ? -1 : 1)).map((a) => a.id);
}

describe('listing connected accounts page by page', () => {
  test.each([
    ['created_at', 'createdAt'],
    ['updated_at', 'updatedAt'],
  ] as const)('1,000 accounts at limit 7 by %s: each exactly once, newest first, ties by id', async (orderBy, field) => {
    const accounts = manyAccounts();
    fake.setAccounts([...accounts, { id: 'ca_other', userId: 'someone-else', toolkit: 'gmail' }]);

    const pages = await listAll({ user_ids: 'team-7', limit: '7', order_by: orderBy });

    expect(ids(pages)).toEqual(expectedOrder(accounts, field));
    expect(pages).toHaveLength(143);
    expect(pages.map((p) => p.current_page)).toEqual(Array.from({ length: 143 }, (_, i) => i + 1));
    expect(pages.every((p) => p.total_pages === 143 && p.total_items === 1000)).toBe(true);
    expect(pages.at(-1)!.items).toHaveLength(6);
  });

  test('filters by toolkit (any case) and status across pages', async () => {
    const accounts = manyAccounts().map((a, i) => ({ ...a, status: i % 4 ? 'ACTIVE' : 'EXPIRED' }));
    fake.setAccounts(accounts);

    const pages = await listAll({ user_ids: 'team-7', toolkit_slugs: 'github', statuses: 'ACTIVE', limit: '7' });

    const wanted = accounts.filter((a) => a.toolkit === 'GitHub' && a.status === 'ACTIVE');
    expect(wanted.length).toBeGreaterThan(100);
    expect(ids(pages)).toEqual(expectedOrder(wanted, 'createdAt'));
    expect(pages[0]!.total_items).toBe(wanted.length);
  });

  test('changes between pages count from the next page on, and nothing is listed twice', async () => {
    const accounts = manyAccounts();
    fake.setAccounts(accounts);
    const order = expectedOrder(accounts, 'createdAt');
    const byId = new Map(accounts.map((a) => [a.id, a]));
    const listedAt = (n: number) => byId.get(order[n]!)!;
    const [newEmail, removed, expired] = [listedAt(900), listedAt(901), listedAt(902)];
    const late: FakeAccount = { id: `${newEmail.id}_late`, userId: 'team-7', toolkit: 'gmail', createdAt: newEmail.createdAt };

    const pages = await listAll({ user_ids: 'team-7', statuses: 'ACTIVE', limit: '7' }, (pagesRead) => {
      if (pagesRead === 10) {
        fake.accounts.push({ id: 'ca_newest', userId: 'team-7', toolkit: 'gmail', createdAt: minute(999) }); // in front of the cursor
        fake.accounts.push(late); // behind it
        fake.accounts.splice(fake.accounts.indexOf(removed), 1);
      }
      if (pagesRead === 20) {
        // Edited in place, the only change before this page: one no longer matches the filter.
        expired.status = 'EXPIRED';
        newEmail.email = 'new@example.com';
      }
    });

    const stillActive = accounts.filter((a) => a !== removed && a.status === undefined);
    expect(ids(pages)).toEqual(expectedOrder([...stillActive, late], 'createdAt'));
    expect(ids(pages)).toContain(late.id);
    expect(pages.flatMap((p) => p.items).find((a) => a.id === newEmail.id)!.state.val.email).toBe('new@example.com');
    expect(pages.at(-1)!.total_items).toBe(1000);
  });

  test('a cursor still leads on when the account it names is deleted', async () => {
    fake.setAccounts([1, 2, 3, 4].map((n) => ({ id: `ca_${n}`, userId: 'team-7', toolkit: 'gmail', createdAt: minute(10 - n) })));
    const first = await listPage({ limit: '2' });
    expect(first.body.items.map((a) => a.id)).toEqual(['ca_1', 'ca_2']);

    const deleted = await fetch(`${fake.url}/api/v3.1/connected_accounts/ca_2`, {
      method: 'DELETE',
      headers: { 'x-api-key': fake.apiKey },
    });
    expect(deleted.status).toBe(200);
    const second = await listPage({ limit: '2', cursor: first.body.next_cursor! });

    expect(second.body).toMatchObject({ next_cursor: null, current_page: 2, total_items: 3 });
    expect(second.body.items.map((a) => a.id)).toEqual(['ca_3', 'ca_4']);
  });

  test('clamps the limit to 1..1000 and refuses a cursor it never gave', async () => {
    fake.setAccounts(Array.from({ length: 1001 }, (_, i) => ({ id: `ca_${i}`, userId: 'team-7', toolkit: 'gmail' })));

    expect((await listPage({ limit: '0' })).body.items).toHaveLength(1);
    expect((await listPage({ limit: '5000' })).body.items).toHaveLength(1000);
    for (const cursor of ['not-a-cursor', Buffer.from('{"page":0,"after":null}').toString('base64url')]) {
      const bad = await listPage({ cursor });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { message: 'Invalid cursor', status: 400 } });
    }
  });
});
