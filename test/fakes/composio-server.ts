import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { accountListing, DEFAULT_CREATED_AT, decodeListCursor, encodeListCursor, type ListFilter } from './composio-listing';

/**
 * A fake Composio API speaking the v3.1 wire format (as Composio's docs and the SDK describe it), for tests
 * and the local demo. The connected-accounts and tools endpoints Switchboard uses are served.
 * Run it alone with `tsx test/fakes/composio-server.ts [port] [userId]`.
 */
export interface FakeAccount {
  id: string;
  userId: string;
  toolkit: string;
  status?: string;
  isDisabled?: boolean;
  alias?: string | null;
  /** Served as state.val.email, the way toolkits that know an email expose it. */
  email?: string | null;
  /** Served as the deprecated `data` object; defaults to {}. */
  data?: Record<string, unknown>;
  createdAt?: string;
  updatedAt?: string;
  /** Why the account is not ACTIVE (status_reason). */
  statusReason?: string | null;
}

export interface FakeFailure {
  status: number;
  message: string;
  retryAfterSeconds?: number;
  code?: number;
  slug?: string;
}

/** A tool of a toolkit; `result` builds the `data` of a successful execution from its arguments. */
export interface FakeTool {
  slug: string;
  toolkit: string;
  name: string;
  description: string;
  inputParameters: Record<string, unknown>;
  version?: string;
  result?: (args: Record<string, unknown>) => Record<string, unknown>;
  /** Executions answer { successful: false, error } with this message. */
  failsWith?: string;
}

/** One POST /tools/execute/{slug} as Composio received it. */
export interface FakeExecution {
  slug: string;
  userId: string | null;
  connectedAccountId: string | null;
  customAuthParams: { parameters?: { name: string; in: string; value: string }[] } | null;
  arguments: Record<string, unknown>;
  version: string | null;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

/** html: a 200 text/html page; truncated-json: cut-off JSON; wrong-shape: valid JSON without items. */
export type MalformedMode = 'html' | 'truncated-json' | 'wrong-shape';

export interface FakeComposio {
  url: string;
  apiKey: string;
  accounts: FakeAccount[];
  /** Starts as demoTools(); reset() brings them back. */
  tools: FakeTool[];
  executions: FakeExecution[];
  requests: LoggedRequest[];
  /** Ids deleted with revoke_on_delete=true or revoked via POST .../revoke. */
  revokedIds: string[];
  deletedIds: string[];
  setAccounts(list: FakeAccount[]): void;
  setTools(list: FakeTool[]): void;
  /** The next n API requests fail with this error. */
  failNext(n: number, failure: FakeFailure): void;
  failAlways(failure: FakeFailure): void;
  clearFailures(): void;
  setDelayMs(ms: number): void;
  setMalformed(mode: MalformedMode | false): void;
  /** Every list page answers with another cursor: a fresh one each time, or the same one again. */
  setEndlessCursor(mode: 'fresh' | 'same' | false): void;
  /** Called as each request arrives, before it is answered: lets a test change state mid-pagination. */
  onRequest(hook: ((request: LoggedRequest) => void) | null): void;
  setRefuseRevoke(match: string | ((id: string) => boolean) | null, status?: number, message?: string): void;
  reset(): void;
  close(): Promise<void>;
}

const API = '/api/v3.1/connected_accounts';
const TOOLS_API = '/api/v3.1/tools';
const DEFAULT_API_KEY = 'fake-composio-key';

export async function startFakeComposio(opts: { port?: number; apiKey?: string } = {}): Promise<FakeComposio> {
  const apiKey = opts.apiKey ?? DEFAULT_API_KEY;
  let failures: { remaining: number; failure: FakeFailure } | null = null;
  let delayMs = 0;
  let malformed: MalformedMode | false = false;
  let endlessCursor: 'fresh' | 'same' | false = false;
  let refuseRevoke: { match: (id: string) => boolean; status: number; message: string } | null = null;
  let requestCounter = 0;
  let requestHook: ((request: LoggedRequest) => void) | null = null;
  const timers = new Set<NodeJS.Timeout>();
  const listing = accountListing();

  const fake: FakeComposio = {
    ...fakeConnectLinks(() => fake),
    url: '',
    apiKey,
    accounts: [],
    tools: demoTools(),
    executions: [],
    requests: [],
    revokedIds: [],
    deletedIds: [],
    setAccounts(list) {
      fake.accounts = [...list];
    },
    setTools(list) {
      fake.tools = [...list];
    },
    failNext(n, failure) {
      failures = { remaining: n, failure };
    },
    failAlways(failure) {
      failures = { remaining: Infinity, failure };
    },
    clearFailures() {
      failures = null;
    },
    setDelayMs(ms) {
      delayMs = ms;
    },
    setMalformed(mode) {
      malformed = mode;
    },
    setEndlessCursor(mode) {
      endlessCursor = mode;
    },
    onRequest(hook) {
      requestHook = hook;
    },
    setRefuseRevoke(match, status = 400, message = 'This toolkit does not support revoking credentials') {
      if (match === null) {
        refuseRevoke = null;
        return;
      }
      refuseRevoke = { match: typeof match === 'string' ? (id) => id === match : match, status, message };
    },
    reset() {
      fake.accounts = [];
      fake.tools = demoTools();
      fake.executions.length = 0;
      fake.requests.length = 0;
      fake.revokedIds.length = 0;
      fake.deletedIds.length = 0;
      failures = null;
      delayMs = 0;
      malformed = false;
      endlessCursor = false;
      refuseRevoke = null;
      requestHook = null;
      fake.resetConnectLinks();
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function sendError(res: http.ServerResponse, status: number, message: string, extra: Partial<FakeFailure> = {}): void {
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (extra.retryAfterSeconds !== undefined) headers['retry-after'] = String(extra.retryAfterSeconds);
    const error = {
      message,
      status,
      code: extra.code ?? status,
      slug: extra.slug ?? defaultSlug(status),
      request_id: `req_fake_${++requestCounter}`,
    };
    res.writeHead(status, headers).end(JSON.stringify({ error }));
  }

  function sendJson(res: http.ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  function listAccounts(query: URLSearchParams, res: http.ServerResponse): void {
    if (malformed) return sendMalformed(res, malformed);
    const filter: ListFilter = {
      userIds: csv(query.get('user_ids')),
      toolkits: csv(query.get('toolkit_slugs')).map((slug) => slug.toLowerCase()),
      statuses: csv(query.get('statuses')),
      orderBy: query.get('order_by') === 'updated_at' ? 'updated_at' : 'created_at',
    };
    const limit = clamp(Number(query.get('limit') ?? 20), 1, 1000);
    const position = decodeListCursor(query.get('cursor'));
    if (position === null) return sendError(res, 400, 'Invalid cursor', { slug: 'ConnectedAccount_InvalidCursor' });

    const page = listing.page(fake.accounts, filter, position, limit);
    let next = page.next;
    if (endlessCursor) next = endlessCursor === 'same' ? position : { after: position.after, page: position.page + 1 };
    sendJson(res, {
      items: page.items.map(toWire),
      next_cursor: next && encodeListCursor(next),
      total_pages: Math.max(1, Math.ceil(page.total / limit)),
      current_page: position.page,
      total_items: page.total,
    });
  }

  function listTools(query: URLSearchParams, res: http.ServerResponse): void {
    if (malformed) return sendMalformed(res, malformed);
    const toolkits = csv(query.get('toolkit_slug')).map((slug) => slug.toLowerCase());
    const slugs = csv(query.get('tool_slugs'));
    const limit = clamp(Number(query.get('limit') ?? 20), 1, 1000);
    const offset = decodeOffsetCursor(query.get('cursor'));
    if (offset === null) return sendError(res, 400, 'Invalid cursor', { slug: 'Tool_InvalidCursor' });
    const matching = fake.tools
      .filter((t) => toolkits.length === 0 || toolkits.includes(t.toolkit))
      .filter((t) => slugs.length === 0 || slugs.includes(t.slug));
    const hasMore = offset + limit < matching.length;
    sendJson(res, {
      items: matching.slice(offset, offset + limit).map(toolToWire),
      next_cursor: hasMore ? encodeOffsetCursor(offset + limit) : null,
      total_pages: Math.max(1, Math.ceil(matching.length / limit)),
      current_page: Math.floor(offset / limit) + 1,
      total_items: matching.length,
    });
  }

  /** POST /tools/execute/{slug}: as the connected account (which must belong to user_id), or with custom auth. */
  function executeTool(slug: string, body: string, res: http.ServerResponse): void {
    const tool = fake.tools.find((t) => t.slug === slug);
    if (!tool) return sendError(res, 404, `Tool ${slug} not found`, { code: 1400, slug: 'Tool_NotFound' });
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return sendError(res, 400, 'Body must be JSON');
    }
    const args = isObject(request.arguments) ? request.arguments : {};
    const execution: FakeExecution = {
      slug,
      userId: typeof request.user_id === 'string' ? request.user_id : null,
      connectedAccountId: typeof request.connected_account_id === 'string' ? request.connected_account_id : null,
      customAuthParams: isObject(request.custom_auth_params) ? (request.custom_auth_params as FakeExecution['customAuthParams']) : null,
      arguments: args,
      version: typeof request.version === 'string' ? request.version : null,
    };
    fake.executions.push(execution);
    if (execution.connectedAccountId) {
      const account = fake.accounts.find((a) => a.id === execution.connectedAccountId);
      if (!account || account.userId !== execution.userId) {
        return sendError(res, 404, `Connected account ${execution.connectedAccountId} not found for this user`, {
          code: 1806,
          slug: 'ConnectedAccount_NotFound',
        });
      }
      if (account.toolkit !== tool.toolkit) return sendError(res, 400, `Connected account ${account.id} is not a ${tool.toolkit} account`);
      if ((account.status ?? 'ACTIVE') !== 'ACTIVE' || account.isDisabled) {
        return sendError(res, 400, `Connected account ${account.id} is not active`, { slug: 'ConnectedAccount_Inactive' });
      }
    } else if (!execution.customAuthParams?.parameters?.length) {
      return sendError(res, 400, 'A connected account or custom auth parameters are required', { slug: 'Tool_NoAuth' });
    }
    if (tool.failsWith)
      return sendJson(res, { data: {}, successful: false, error: tool.failsWith, log_id: `log_fake_${++requestCounter}` });
    const data = tool.result ? tool.result(args) : { tool: slug, arguments: args };
    sendJson(res, { data, successful: true, error: null, log_id: `log_fake_${++requestCounter}` });
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string): void {
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === API) return listAccounts(url.searchParams, res);
    if (fake.routeConnectApi(method, url, body, res)) return;
    if (method === 'GET' && url.pathname === TOOLS_API) return listTools(url.searchParams, res);
    const execute = /^\/api\/v3\.1\/tools\/execute\/([^/]+)$/.exec(url.pathname);
    if (method === 'POST' && execute) return executeTool(decodeURIComponent(execute[1]!), body, res);
    const oneTool = /^\/api\/v3\.1\/tools\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && oneTool) {
      const tool = fake.tools.find((t) => t.slug === decodeURIComponent(oneTool[1]!));
      return tool
        ? sendJson(res, toolToWire(tool))
        : sendError(res, 404, `Tool ${oneTool[1]} not found`, { code: 1400, slug: 'Tool_NotFound' });
    }

    const match = /^\/api\/v3\.1\/connected_accounts\/([^/]+)(\/revoke|\/status)?$/.exec(url.pathname);
    if (!match) return sendError(res, 404, `Cannot ${method} ${url.pathname}`, { slug: 'NotFound' });
    const id = decodeURIComponent(match[1] ?? '');
    const action = match[2] ?? '';
    const account = fake.accounts.find((a) => a.id === id);
    if (!account) {
      return sendError(res, 404, `Connected account ${id} not found`, { code: 1806, slug: 'ConnectedAccount_NotFound' });
    }

    if (method === 'GET' && action === '') return malformed ? sendMalformed(res, malformed) : sendJson(res, toWire(account));
    if (method === 'DELETE' && action === '') {
      const revoke = url.searchParams.get('revoke_on_delete') === 'true';
      if (revoke && refuseRevoke?.match(id)) return sendError(res, refuseRevoke.status, refuseRevoke.message);
      fake.accounts = fake.accounts.filter((a) => a.id !== id);
      fake.deletedIds.push(id);
      if (revoke) fake.revokedIds.push(id);
      return sendJson(res, revoke ? { success: true, revoke_job_id: `job_${id}` } : { success: true });
    }
    if (method === 'POST' && action === '/revoke') {
      if (refuseRevoke?.match(id)) return sendError(res, refuseRevoke.status, refuseRevoke.message);
      if ((account.status ?? 'ACTIVE') !== 'ACTIVE') return sendError(res, 409, `Connected account ${id} is not ACTIVE`);
      account.status = 'REVOKED';
      fake.revokedIds.push(id);
      return sendJson(res, { revoked_tokens: ['access_token'], connected_account: { id, status: 'REVOKED' } });
    }
    if (method === 'PATCH' && action === '/status') {
      const enabled = parseEnabled(body);
      if (enabled === null) return sendError(res, 400, 'Body must be {"enabled": true|false}');
      account.isDisabled = !enabled;
      return sendJson(res, { success: true });
    }
    sendError(res, 405, `Cannot ${method} ${url.pathname}`, { slug: 'MethodNotAllowed' });
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (fake.routeHostedPage(req.method ?? 'GET', url, body, res)) return; // a browser page: no API key
    if (req.headers['x-api-key'] !== apiKey) {
      return sendError(res, 401, 'Invalid API key. Check the x-api-key header.', { slug: 'Auth_InvalidApiKey' });
    }
    if (failures && failures.remaining > 0) {
      failures.remaining -= 1;
      const { status, message, ...extra } = failures.failure;
      return sendError(res, status, message, extra);
    }
    route(req, res, url, body);
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      // Logged on arrival, so requests the client gave up on while we delayed still count.
      const url = new URL(req.url ?? '/', 'http://fake');
      const logged = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) };
      fake.requests.push(logged);
      requestHook?.(logged);
      if (delayMs <= 0) return handle(req, res, body);
      const timer = setTimeout(() => {
        timers.delete(timer);
        // The client may have given up while we waited; answering then would throw.
        if (!res.destroyed) handle(req, res, body);
      }, delayMs);
      timers.add(timer);
    });
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function toWire(a: FakeAccount) {
  const status = a.status ?? 'ACTIVE';
  const createdAt = a.createdAt ?? DEFAULT_CREATED_AT;
  const val: Record<string, unknown> = { status, access_token: 'REDACTED' };
  if (a.email != null) val.email = a.email;
  return {
    id: a.id,
    alias: a.alias ?? null,
    word_id: null,
    user_id: a.userId,
    status,
    status_reason: a.statusReason ?? null,
    is_disabled: a.isDisabled ?? false,
    toolkit: { slug: a.toolkit },
    auth_config: { id: `ac_${a.toolkit}`, auth_scheme: 'OAUTH2', is_composio_managed: true, is_disabled: false },
    data: a.data ?? {},
    state: { authScheme: 'OAUTH2', val },
    created_at: createdAt,
    updated_at: a.updatedAt ?? createdAt,
  };
}

/** A tool as GET /api/v3.1/tools lists it. */
function toolToWire(t: FakeTool) {
  const version = t.version ?? '20260101_00';
  return {
    slug: t.slug,
    name: t.name,
    description: t.description,
    human_description: t.description,
    input_parameters: t.inputParameters,
    output_parameters: { type: 'object', properties: { data: { type: 'object' } } },
    available_versions: [version],
    version,
    deprecated: { available_versions: [version], displayName: t.name, is_deprecated: false, toolkit: { logo: '' }, version },
    is_deprecated: false,
    no_auth: false,
    scope_requirements: null,
    scopes: [],
    tags: [],
    toolkit: { slug: t.toolkit, name: t.toolkit, logo: '' },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const stringParam = (description: string) => ({ type: 'string', description });

/** Tools of the demo's toolkits: a read and a write where the toolkit has both. */
export function demoTools(): FakeTool[] {
  return [
    {
      slug: 'GMAIL_FETCH_EMAILS',
      toolkit: 'gmail',
      name: 'Fetch emails',
      description: 'Lists recent emails in the mailbox.',
      inputParameters: {
        type: 'object',
        properties: { query: stringParam('Gmail search, e.g. "is:unread"'), max_results: { type: 'integer', default: 10 } },
      },
      result: () => ({
        messages: [
          { id: 'msg_1', from: 'ana@example.com', subject: 'Quarterly numbers' },
          { id: 'msg_2', from: 'ben@example.com', subject: 'Lunch on Friday?' },
        ],
      }),
    },
    {
      slug: 'GMAIL_SEND_EMAIL',
      toolkit: 'gmail',
      name: 'Send email',
      description: 'Sends an email from the connected account.',
      inputParameters: {
        type: 'object',
        properties: { recipient_email: stringParam('To'), subject: stringParam('Subject'), body: stringParam('Body') },
        required: ['recipient_email', 'body'],
      },
      result: (args) => ({ id: 'msg_sent_1', to: args.recipient_email ?? null, status: 'sent' }),
    },
    {
      slug: 'GITHUB_LIST_ISSUES',
      toolkit: 'github',
      name: 'List issues',
      description: 'Lists the open issues of a repository.',
      inputParameters: {
        type: 'object',
        properties: { owner: stringParam('Owner'), repo: stringParam('Repository') },
        required: ['owner', 'repo'],
      },
      result: (args) => ({
        repository: `${String(args.owner)}/${String(args.repo)}`,
        issues: [{ number: 12, title: 'Login page is slow' }],
      }),
    },
    {
      slug: 'GITHUB_CREATE_ISSUE',
      toolkit: 'github',
      name: 'Create issue',
      description: 'Opens an issue in a repository.',
      inputParameters: {
        type: 'object',
        properties: { owner: stringParam('Owner'), repo: stringParam('Repository'), title: stringParam('Title') },
        required: ['owner', 'repo', 'title'],
      },
      result: (args) => ({ number: 13, title: args.title ?? null }),
    },
    {
      slug: 'GOOGLEDRIVE_FIND_FILE',
      toolkit: 'googledrive',
      name: 'Find file',
      description: 'Finds files by name.',
      inputParameters: { type: 'object', properties: { name: stringParam('Part of the file name') } },
      result: () => ({ files: [{ id: 'file_1', name: 'Pipeline.xlsx' }] }),
    },
    {
      slug: 'NOTION_SEARCH',
      toolkit: 'notion',
      name: 'Search Notion',
      description: 'Searches pages and databases.',
      inputParameters: { type: 'object', properties: { query: stringParam('Search text') } },
      result: () => ({ results: [{ id: 'page_1', title: 'Onboarding' }] }),
    },
    {
      slug: 'TAVILY_SEARCH',
      toolkit: 'tavily',
      name: 'Search the web',
      description: 'Searches the web through Tavily.',
      inputParameters: { type: 'object', properties: { query: stringParam('What to search for') }, required: ['query'] },
      result: (args) => ({ query: args.query ?? null, results: [{ title: 'Example result', url: 'https://example.com/' }] }),
    },
  ];
}

function sendMalformed(res: http.ServerResponse, mode: MalformedMode): void {
  if (mode === 'html') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Bad gateway</body></html>');
  } else if (mode === 'truncated-json') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"items": [{"id": "ca_');
  } else {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [], cursor: null }));
  }
}

function defaultSlug(status: number): string {
  if (status === 401) return 'Unauthorized';
  if (status === 404) return 'NotFound';
  if (status === 429) return 'RateLimitExceeded';
  if (status >= 500) return 'InternalServerError';
  return 'BadRequest';
}

function csv(value: string | null): string[] {
  return value ? value.split(',').filter(Boolean) : [];
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : min;
}

// Opaque to clients, like Composio's cursors; a number inside is enough for the short tool lists.
function encodeOffsetCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeOffsetCursor(cursor: string | null): number | null {
  if (!cursor) return 0;
  try {
    const offset: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString()).o;
    return typeof offset === 'number' && offset >= 0 ? offset : null;
  } catch {
    return null;
  }
}

function parseEnabled(body: string): boolean | null {
  try {
    const enabled: unknown = JSON.parse(body).enabled;
    return typeof enabled === 'boolean' ? enabled : null;
  } catch {
    return null;
  }
}

/** Sample accounts for the demo: one per case the UI has to show. */
export function demoAccounts(userId: string): FakeAccount[] {
  const day = (d: number) => `2026-01-${String(d).padStart(2, '0')}T09:00:00.000Z`;
  return [
    { id: 'ca_demo_gmail', userId, toolkit: 'gmail', email: 'ops@example.com', createdAt: day(2) },
    { id: 'ca_demo_github', userId, toolkit: 'github', alias: 'switchboard-bot', createdAt: day(3) },
    { id: 'ca_demo_drive', userId, toolkit: 'googledrive', createdAt: day(4) },
    { id: 'ca_demo_calendar', userId, toolkit: 'googlecalendar', status: 'EXPIRED', createdAt: day(5), updatedAt: day(20) },
    { id: 'ca_demo_notion', userId, toolkit: 'notion', createdAt: day(6) },
    { id: 'ca_demo_unknown', userId, toolkit: 'slack_unknown', createdAt: day(7) },
  ];
}

if (require.main === module) {
  const port = Number(process.argv[2] ?? 4010);
  const userId = process.argv[3] ?? 'demo-team';
  void startFakeComposio({ port }).then((fake) => {
    fake.setAccounts(demoAccounts(userId));
    console.log(`Fake Composio on ${fake.url} (x-api-key: ${fake.apiKey}, user id: ${userId})`);
  });
}

// ---- Auth configs, Connect Links with a hosted consent page, signed webhooks -----------------

export interface FakeAuthConfig {
  id: string;
  toolkit: string;
  authScheme: string;
  composioManaged: boolean;
  status: 'ENABLED' | 'DISABLED';
}

export interface FakeLink {
  token: string;
  accountId: string;
  toolkit: string;
  userId: string;
  callbackUrl: string | null;
}

export interface FakeComposio {
  authConfigs: FakeAuthConfig[];
  /** Connect Links created and not yet answered on the consent page, by token. */
  links: Map<string, FakeLink>;
  /** The email the consent page suggests for the account being connected. */
  consentEmail: string;
  /** Where the demo's control page sends signed webhooks (npm run demo sets it). */
  webhookTarget: { url: string; secret: string } | null;
  /** Marks an account EXPIRED, as Composio does when a refresh token stops working. */
  expireAccount(id: string, reason?: string): FakeAccount;
  /** POSTs a webhook delivery signed the way Composio signs them (Standard Webhooks); override parts to forge one. */
  sendWebhook(
    target: string,
    secret: string,
    event: object,
    options?: { id?: string; timestamp?: number; signature?: string },
  ): Promise<{ status: number; body: string }>;
  resetConnectLinks(): void;
  /** Internal: the JSON API for auth configs and links. True when it answered. */
  routeConnectApi(method: string, url: URL, body: string, res: http.ServerResponse): boolean;
  /** Internal: the hosted consent page a browser is sent to. True when it answered. */
  routeHostedPage(method: string, url: URL, body: string, res: http.ServerResponse): boolean;
}

const CONNECT_TOOLKITS = ['gmail', 'googledocs', 'googlesheets', 'googledrive', 'googlecalendar', 'github', 'notion', 'linear'];

export function defaultAuthConfigs(): FakeAuthConfig[] {
  return CONNECT_TOOLKITS.map((toolkit) => ({
    id: `ac_${toolkit}`,
    toolkit,
    authScheme: 'OAUTH2',
    composioManaged: true,
    status: 'ENABLED',
  }));
}

/** A delivery of composio.connected_account.expired for one account, as Composio's docs show it. */
export function expiredEvent(account: { id: string; toolkit: string }, reason = 'The refresh token was revoked by the provider') {
  return {
    id: `evt_${randomBytes(6).toString('hex')}`,
    type: 'composio.connected_account.expired',
    metadata: { project_id: 'pr_fake', org_id: 'org_fake' },
    data: {
      id: account.id,
      toolkit: { slug: account.toolkit },
      auth_config: { id: `ac_${account.toolkit}`, auth_scheme: 'OAUTH2' },
      status: 'EXPIRED',
      status_reason: reason,
    },
    timestamp: new Date().toISOString(),
  };
}

/** Signs a delivery: v1,<base64 HMAC-SHA256 of "id.timestamp.body">. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

function fakeConnectLinks(self: () => FakeComposio) {
  let counter = 0;
  const now = () => new Date().toISOString();

  function json(res: http.ServerResponse, status: number, body: unknown): true {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    return true;
  }
  function apiError(res: http.ServerResponse, status: number, message: string, slug: string): true {
    return json(res, status, { error: { message, status, code: status, slug, request_id: `req_fake_link_${++counter}` } });
  }
  function html(res: http.ServerResponse, status: number, title: string, body: string): true {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main>${body}</main></body></html>`,
    );
    return true;
  }

  /** npm run demo: a page to expire accounts as Composio would, each followed by its signed webhook. */
  function demoControls(method: string, url: URL, res: http.ServerResponse): true {
    const fake = self();
    const expire = /^\/demo\/expire\/([A-Za-z0-9_]+)$/.exec(url.pathname);
    if (method === 'POST' && expire) {
      const account = fake.accounts.find((a) => a.id === expire[1]);
      if (!account) return html(res, 404, 'No such account', '<h1>No such account</h1><p><a href="/demo">Back</a></p>');
      fake.expireAccount(account.id);
      const target = fake.webhookTarget;
      const sent = target
        ? fake.sendWebhook(target.url, target.secret, expiredEvent({ id: account.id, toolkit: account.toolkit }))
        : Promise.resolve(null);
      void sent.then(
        () => res.writeHead(303, { location: '/demo' }).end(),
        (error: Error) =>
          html(
            res,
            502,
            'Webhook failed',
            `<h1>The webhook could not be sent</h1><p>${escapeHtml(error.message)}</p><p><a href="/demo">Back</a></p>`,
          ),
      );
      return true;
    }
    const rows = fake.accounts
      .map(
        (a) =>
          `<tr><td>${escapeHtml(a.id)}</td><td>${escapeHtml(a.toolkit)}</td><td>${escapeHtml(a.status ?? 'ACTIVE')}</td><td>${
            (a.status ?? 'ACTIVE') === 'ACTIVE'
              ? `<form method="post" action="/demo/expire/${escapeHtml(a.id)}"><button type="submit">Expire ${escapeHtml(a.toolkit)} and send the webhook</button></form>`
              : ''
          }</td></tr>`,
      )
      .join('');
    return html(
      res,
      200,
      'Composio stand-in',
      `<h1>Composio stand-in: connected accounts</h1>
       <p>${fake.webhookTarget ? `Webhooks go to <code>${escapeHtml(fake.webhookTarget.url)}</code>.` : 'No webhook target is set.'}</p>
       <table><thead><tr><th scope="col">Account</th><th scope="col">Toolkit</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
  }

  return {
    authConfigs: defaultAuthConfigs(),
    links: new Map<string, FakeLink>(),
    consentEmail: 'ops@example.com',
    webhookTarget: null as { url: string; secret: string } | null,

    expireAccount(id: string, reason = 'The refresh token was revoked by the provider'): FakeAccount {
      const account = self().accounts.find((a) => a.id === id);
      if (!account) throw new Error(`no fake account ${id}`);
      Object.assign(account, { status: 'EXPIRED', statusReason: reason, updatedAt: now() });
      return account;
    },

    async sendWebhook(
      target: string,
      secret: string,
      event: object,
      options: { id?: string; timestamp?: number; signature?: string } = {},
    ) {
      const body = JSON.stringify(event);
      const id = options.id ?? `msg_${randomBytes(8).toString('hex')}`;
      const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
      const response = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': options.signature ?? signWebhook(secret, id, timestamp, body),
        },
        body,
      });
      return { status: response.status, body: await response.text() };
    },

    resetConnectLinks() {
      const fake = self();
      fake.authConfigs = defaultAuthConfigs();
      fake.links.clear();
      fake.consentEmail = 'ops@example.com';
    },

    routeConnectApi(method: string, url: URL, body: string, res: http.ServerResponse): boolean {
      const fake = self();
      if (method === 'GET' && url.pathname === '/api/v3.1/auth_configs') {
        const toolkit = url.searchParams.get('toolkit_slug')?.toLowerCase();
        const items = fake.authConfigs
          .filter((c) => !toolkit || c.toolkit === toolkit)
          .map((c) => ({
            id: c.id,
            toolkit: { slug: c.toolkit },
            auth_scheme: c.authScheme,
            is_composio_managed: c.composioManaged,
            status: c.status,
          }));
        return json(res, 200, { items, next_cursor: null, total_pages: 1 });
      }
      if (method === 'POST' && url.pathname === `${API}/link`) {
        let request: { auth_config_id?: unknown; user_id?: unknown; callback_url?: unknown };
        try {
          request = JSON.parse(body) as typeof request;
        } catch {
          return apiError(res, 400, 'Body must be JSON', 'BadRequest');
        }
        const config = fake.authConfigs.find((c) => c.id === request.auth_config_id);
        if (!config) return apiError(res, 404, `Auth config ${String(request.auth_config_id)} not found`, 'AuthConfig_NotFound');
        if (typeof request.user_id !== 'string' || !request.user_id) return apiError(res, 400, 'user_id is required', 'BadRequest');
        const token = `lt_${randomBytes(12).toString('hex')}`;
        const accountId = `ca_link_${randomBytes(6).toString('hex')}`;
        fake.accounts.push({
          id: accountId,
          userId: request.user_id,
          toolkit: config.toolkit,
          status: 'INITIATED',
          createdAt: now(),
          updatedAt: now(),
        });
        fake.links.set(token, {
          token,
          accountId,
          toolkit: config.toolkit,
          userId: request.user_id,
          callbackUrl: typeof request.callback_url === 'string' ? request.callback_url : null,
        });
        return json(res, 201, {
          connected_account_id: accountId,
          redirect_url: `${fake.url}/link/${token}`,
          link_token: token,
          expires_at: new Date(Date.now() + 10 * 60_000).toISOString(),
        });
      }
      return false;
    },

    routeHostedPage(method: string, url: URL, body: string, res: http.ServerResponse): boolean {
      const fake = self();
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return true;
      }
      if (url.pathname === '/demo' || url.pathname.startsWith('/demo/')) return demoControls(method, url, res);
      const match = /^\/link\/([A-Za-z0-9_]+)$/.exec(url.pathname);
      if (!match) return false;
      const link = fake.links.get(match[1]!);
      if (!link) return html(res, 404, 'Link expired', '<h1>This link has expired</h1><p>Go back to the app and start again.</p>');
      if (method === 'GET') {
        return html(
          res,
          200,
          `Connect ${link.toolkit}`,
          `<h1>Connect ${escapeHtml(link.toolkit)}</h1>
           <p>Composio (local stand-in) asks you to let user <code>${escapeHtml(link.userId)}</code> use your ${escapeHtml(link.toolkit)} account.</p>
           <form method="post">
             <p><label for="email">Account email</label> <input id="email" name="email" value="${escapeHtml(fake.consentEmail)}"></p>
             <button type="submit" name="decision" value="allow">Allow</button>
             <button type="submit" name="decision" value="deny">Deny</button>
           </form>`,
        );
      }
      if (method !== 'POST') return html(res, 405, 'Not allowed', '<h1>Not allowed</h1>');
      const form = new URLSearchParams(body);
      const allow = form.get('decision') === 'allow';
      const account = fake.accounts.find((a) => a.id === link.accountId);
      if (account) {
        if (allow) Object.assign(account, { status: 'ACTIVE', statusReason: null, email: form.get('email') || null, updatedAt: now() });
        else Object.assign(account, { status: 'FAILED', statusReason: 'The person denied access on the consent screen', updatedAt: now() });
      }
      fake.links.delete(link.token);
      if (!link.callbackUrl)
        return html(res, 200, 'Done', `<h1>${allow ? 'Connected' : 'Not connected'}</h1><p>You can close this page.</p>`);
      // Like Composio: status and the account id in the query; the app must not trust them.
      const back = new URL(link.callbackUrl);
      back.searchParams.set('status', allow ? 'success' : 'failed');
      back.searchParams.set('connected_account_id', link.accountId);
      res.writeHead(303, { location: back.toString() }).end();
      return true;
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
