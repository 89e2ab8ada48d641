// How the fake Composio pages through connected accounts: newest first (created_at or updated_at),
// ties by id, with a cursor that names the last account listed, as a database walks an index. A page
// costs about its own size, so listing 50,000 accounts 200 at a time is not quadratic.
import type { FakeAccount } from './composio-server';

/** An account's created_at when the test gives none. */
export const DEFAULT_CREATED_AT = '2026-01-01T00:00:00.000Z';

export type ListOrder = 'created_at' | 'updated_at';

export interface ListFilter {
  userIds: string[];
  toolkits: string[];
  statuses: string[];
  orderBy: ListOrder;
}

/** Where an account sits in a listing. */
interface ListKey {
  at: string;
  id: string;
}

/** What a list cursor holds: the last account listed (null: none yet) and the page it leads to. */
export interface ListPosition {
  after: ListKey | null;
  page: number;
}

export interface ListPage {
  items: FakeAccount[];
  total: number;
  /** Where the next page starts; null on the last page. */
  next: ListPosition | null;
}

/**
 * One page of the accounts that match a filter. Each filter's listing is filtered and sorted once and
 * kept while the accounts stay the same objects with the same listed fields; checking that is one pass
 * of identity comparisons per request, far cheaper than the sort. So any change is seen by the next
 * page: an account pushed, spliced out, replaced, or edited in place. One added, removed or changed
 * between pages counts from the next page on; one that lands in front of the cursor is not listed again.
 */
export function accountListing() {
  let seen: ListedFields[] = [];
  const byFilter = new Map<string, FakeAccount[]>();

  function unchanged(accounts: FakeAccount[]): boolean {
    if (accounts.length !== seen.length) return false;
    for (let i = 0; i < accounts.length; i++) {
      const a = accounts[i]!;
      const s = seen[i]!;
      if (s.account !== a || s.id !== a.id || s.userId !== a.userId || s.toolkit !== a.toolkit) return false;
      if (s.status !== a.status || s.createdAt !== a.createdAt || s.updatedAt !== a.updatedAt) return false;
    }
    return true;
  }

  function listing(accounts: FakeAccount[], filter: ListFilter): FakeAccount[] {
    if (!unchanged(accounts)) {
      seen = accounts.map(listedFields);
      byFilter.clear();
    }
    const cacheKey = JSON.stringify(filter);
    let listed = byFilter.get(cacheKey);
    if (!listed) {
      const { userIds, toolkits, statuses, orderBy } = filter;
      listed = accounts
        .filter(
          (a) =>
            (userIds.length === 0 || userIds.includes(a.userId)) &&
            (toolkits.length === 0 || toolkits.includes(a.toolkit.toLowerCase())) &&
            (statuses.length === 0 || statuses.includes(a.status ?? 'ACTIVE')),
        )
        .map((account) => ({ account, key: listKey(account, orderBy) }))
        .sort((a, b) => compareListKeys(a.key, b.key))
        .map(({ account }) => account);
      byFilter.set(cacheKey, listed);
    }
    return listed;
  }

  return {
    page(accounts: FakeAccount[], filter: ListFilter, position: ListPosition, limit: number): ListPage {
      const listed = listing(accounts, filter);
      const start = position.after ? countListedUpTo(listed, filter.orderBy, position.after) : 0;
      const items = listed.slice(start, start + limit);
      const last = items.at(-1);
      const more = start + limit < listed.length && last !== undefined;
      return { items, total: listed.length, next: more ? { after: listKey(last, filter.orderBy), page: position.page + 1 } : null };
    },
  };
}

function listKey(a: FakeAccount, orderBy: ListOrder): ListKey {
  const createdAt = a.createdAt ?? DEFAULT_CREATED_AT;
  return { at: orderBy === 'updated_at' ? (a.updatedAt ?? createdAt) : createdAt, id: a.id };
}

/** Newest first, ties by id. Plain string order, in which ISO times written alike sort as times. */
function compareListKeys(a: ListKey, b: ListKey): number {
  if (a.at !== b.at) return a.at > b.at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** How many accounts of a listing come before `key` or are it: a binary search. */
function countListedUpTo(listed: FakeAccount[], orderBy: ListOrder, key: ListKey): number {
  let low = 0;
  let high = listed.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareListKeys(listKey(listed[middle]!, orderBy), key) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** What decides whether, and where, an account is listed. */
type ListedFields = Pick<FakeAccount, 'id' | 'userId' | 'toolkit' | 'status' | 'createdAt' | 'updatedAt'> & { account: FakeAccount };

function listedFields(account: FakeAccount): ListedFields {
  const { id, userId, toolkit, status, createdAt, updatedAt } = account;
  return { account, id, userId, toolkit, status, createdAt, updatedAt };
}

// Opaque to clients, like Composio's cursors; base64url JSON is enough for a fake.
export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position a cursor names; the first page without one; null for a cursor this fake never gave. */
export function decodeListCursor(cursor: string | null): ListPosition | null {
  if (!cursor) return { after: null, page: 1 };
  try {
    const { after, page } = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { after?: unknown; page?: unknown };
    if (typeof page !== 'number' || !Number.isInteger(page) || page < 1) return null;
    if (after === null) return { after: null, page };
    const { at, id } = (after ?? {}) as { at?: unknown; id?: unknown };
    return typeof at === 'string' && typeof id === 'string' ? { after: { at, id }, page } : null;
  } catch {
    return null;
  }
}
