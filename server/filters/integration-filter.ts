import { z } from 'zod';

/**
 * Search and filter chips of the two integration lists (an assistant's integrations, the team's
 * Integrations page). They filter rows already loaded, in memory: a filter never costs a statement,
 * and the JSON answers, which ignore it, keep their shape.
 */

export type AuthKind = 'none' | 'api_key' | 'oauth2' | 'api_key_or_oauth2';
export type AuthChoice = 'oauth2' | 'api_key' | 'none';

export interface IntegrationFilter<S extends string = string> {
  q: string;
  status: S | '';
  auth: AuthChoice | '';
  category: string;
}

/** What the filter needs to know about one row. */
export interface Filterable {
  label: string;
  description: string;
  category: string;
  /** The auth chips the row falls under (an integration taking either falls under both). */
  auths: AuthChoice[];
  /** The status chips the row falls under. */
  statuses: string[];
  /** More words a search finds the row by: its status in words, its slug. */
  words: string;
}

export interface Choice<V extends string> {
  value: V;
  label: string;
}

export const AUTH_CHOICES: Choice<AuthChoice>[] = [
  { value: 'oauth2', label: 'OAuth2' },
  { value: 'api_key', label: 'API key' },
  { value: 'none', label: 'Built-in' },
];

/** Words a search finds each kind of credential by ("oauth", "api key", "built-in"). */
const AUTH_WORDS: Record<AuthChoice, string> = {
  oauth2: 'oauth2 oauth account',
  api_key: 'api key api_key apikey',
  none: 'built-in builtin no credentials needed',
};

export function authChoices(auth: AuthKind): AuthChoice[] {
  return auth === 'api_key_or_oauth2' ? ['api_key', 'oauth2'] : [auth];
}

const oneOf = (what: string, values: readonly string[]) =>
  `${what} must be one of ${values.map((v) => `"${v}"`).join(', ')}, or empty for all.`;

/**
 * The query string of a list page: ?q=&status=&auth=&category=. Empty or absent means "all". An
 * unknown status or auth kind is a 400 that lists the known ones; a category the catalog does not
 * have simply matches nothing.
 */
export function filterQuerySchema<S extends string>(statuses: readonly S[], auths: readonly AuthChoice[]) {
  const choice = <V extends string>(what: string, values: readonly V[]) =>
    z.preprocess(
      (value) => (value === undefined ? '' : value),
      z.enum(['', ...values] as [string, ...string[]], { message: oneOf(what, values) }),
    ) as unknown as z.ZodType<V | ''>;
  const text = (what: string) =>
    z.preprocess(
      (value) => (value === undefined ? '' : value),
      z
        .string({ message: `${what} must be one piece of text.` })
        .trim()
        .max(100, `Keep the ${what} under 100 characters.`),
    ) as unknown as z.ZodType<string>;
  return z.object({ q: text('filter'), status: choice('status', statuses), auth: choice('auth', auths), category: text('category') });
}

/** Rows that match every part of the filter; the search matches every word typed, in any order. */
export function applyFilter<T>(rows: T[], describe: (row: T) => Filterable, filter: IntegrationFilter): T[] {
  const words = filter.q.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length && !filter.status && !filter.auth && !filter.category) return rows; // no filter: nothing to describe
  return rows.filter((row) => {
    const d = describe(row);
    if (filter.status && !d.statuses.includes(filter.status)) return false;
    if (filter.auth && !d.auths.includes(filter.auth)) return false;
    if (filter.category && d.category.toLowerCase() !== filter.category.toLowerCase()) return false;
    if (!words.length) return true;
    const text = [d.label, d.description, d.category, d.words, ...d.auths.map((a) => AUTH_WORDS[a])].join(' ').toLowerCase();
    return words.every((word) => text.includes(word));
  });
}

/** The categories of the whole list, in catalog order: the category choices stay whatever is filtered. */
export const categoriesOf = (rows: { category: string }[]) => [...new Set(rows.map((r) => r.category))];

/** "status Available, auth kind API key": what the no-match message says was asked for. */
export function describeFilter(filter: IntegrationFilter, statuses: Choice<string>[]): string {
  const parts = [
    filter.q ? `“${filter.q}”` : '',
    filter.status ? `status ${statuses.find((s) => s.value === filter.status)?.label ?? filter.status}` : '',
    filter.auth ? `${AUTH_CHOICES.find((a) => a.value === filter.auth)!.label}` : '',
    filter.category ? `category ${filter.category}` : '',
  ].filter(Boolean);
  return parts.join(', ');
}

const FILTER_KEYS = ['q', 'status', 'auth', 'category'] as const;

/**
 * The list filter a change carries back to its page (in the form's action URL, see listQuery): each
 * part checked by the page's own schema, and a part that fails is dropped rather than refused, so a
 * stale or tampered filter never stops the change itself. Missing parts (legacy forms) are "all".
 * See docs/decisions/021-changes-keep-the-list-filter.md.
 */
export function carriedFilter<S extends string>(schema: ReturnType<typeof filterQuerySchema<S>>, source: unknown): IntegrationFilter<S> {
  const values = (source && typeof source === 'object' ? source : {}) as Record<string, unknown>;
  const filter: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const part = schema.shape[key].safeParse(values[key]);
    filter[key] = part.success ? part.data : '';
  }
  return filter as unknown as IntegrationFilter<S>;
}

/** "?q=mail&status=added" (only the parts set), or "" for no filter: appended to a page's URL or a form's action. */
export function listQuery(filter: IntegrationFilter | null): string {
  if (!filter) return '';
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filter[key]) params.set(key, filter[key]);
  const query = params.toString();
  return query ? `?${query}` : '';
}
