import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  type ComposioAccount,
  type ComposioAccountDetail,
  type ComposioAuthConfig,
  ComposioError,
  type ComposioGateway,
  type ComposioTool,
  ComposioWebhookRejected,
} from './types';

export interface ComposioGatewayOptions {
  apiKey: string;
  baseURL?: string;
  /** Per attempt, headers and body together. */
  timeoutMs?: number;
  /** Retries after the first attempt, on 408/409/429/5xx, timeouts and network errors. */
  maxRetries?: number;
  /** Longest Retry-After we are willing to sit out; beyond it the call fails at once. */
  maxRetryAfterMs?: number;
  /** First backoff when Composio gives no Retry-After; doubles per retry. */
  retryDelayMs?: number;
  /** Guard against a server that hands out cursors forever. */
  maxPages?: number;
  /** Deadline of one tool execution (tools can be slower than listings); it is never retried. */
  executeTimeoutMs?: number;
  logger?: { warn(obj: object, msg: string): void };
}

const PRODUCTION_URL = 'https://backend.composio.dev';
const PAGE_SIZE = 200;

const accountSchema = z.object({
  id: z.string().min(1),
  alias: z.string().nullish(),
  status: z.string(),
  status_reason: z.string().nullish(),
  is_disabled: z.boolean().default(false),
  toolkit: z.object({ slug: z.string().min(1) }),
  data: z.record(z.string(), z.unknown()).nullish(),
  state: z.object({ val: z.record(z.string(), z.unknown()).nullish() }).nullish(),
  created_at: z.string().refine(isDate),
  updated_at: z.string().refine(isDate),
});
const pageSchema = z.object({ items: z.array(accountSchema), next_cursor: z.string().nullish() });
/** A page's cursor on its own, read before the page's accounts are checked (pageSchema checks it again). */
const cursorSchema = z.object({ next_cursor: z.string().nullish() });

const toolSchema = z.object({
  slug: z.string().min(1),
  name: z.string().nullish(),
  description: z.string().nullish(),
  input_parameters: z.record(z.string(), z.unknown()).nullish(),
  version: z.string().nullish(),
});
const toolPageSchema = z.object({ items: z.array(toolSchema), next_cursor: z.string().nullish() });
const executeSchema = z.object({ data: z.unknown(), successful: z.boolean(), error: z.string().nullish() });

export function createComposioGateway(opts: ComposioGatewayOptions): ComposioGateway {
  if (!opts.apiKey) throw new Error('createComposioGateway needs a Composio API key');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxRetries = opts.maxRetries ?? 2;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 5_000;
  const retryDelayMs = opts.retryDelayMs ?? 500;
  const maxPages = opts.maxPages ?? 1000;
  const executeTimeoutMs = opts.executeTimeoutMs ?? 30_000;
  const baseURL = opts.baseURL ?? PRODUCTION_URL;
  let sdk: Promise<Sdk> | null = null;

  async function call<T>(
    operation: string,
    request: (client: ComposioClient, signal: AbortSignal) => PromiseLike<T>,
    retryConflicts: boolean,
    limits: { retries: number; timeoutMs: number } = { retries: maxRetries, timeoutMs },
  ): Promise<T> {
    sdk ??= loadSdk(opts.apiKey, baseURL, timeoutMs);
    const { client, APIConnectionError, APIConnectionTimeoutError, APIError } = await sdk;

    function retryWait(err: unknown, attempt: number): number | null {
      const backoff = Math.min(retryDelayMs * 2 ** (attempt - 1), maxRetryAfterMs);
      if (err instanceof APIConnectionError) return backoff; // includes timeouts
      if (!(err instanceof APIError) || err.status === undefined) return null;
      const status = err.status;
      // A 409 on a read is a lock timeout worth retrying; on revoke it means the account is not ACTIVE.
      const retryable = status === 408 || status === 429 || status >= 500 || (status === 409 && retryConflicts);
      if (!retryable) return null;
      return retryAfterMs(err.headers) ?? backoff;
    }

    function toComposioError(err: unknown): ComposioError {
      if (err instanceof ComposioError) return err;
      if (err instanceof APIConnectionTimeoutError) {
        return new ComposioError(`Composio did not answer within ${seconds(limits.timeoutMs)}`, null, 'timeout');
      }
      if (err instanceof APIConnectionError) {
        return new ComposioError(`Could not reach Composio at ${new URL(baseURL).host}`, null, 'network');
      }
      if (err instanceof APIError && err.status !== undefined) {
        const { message, code } = composioErrorBody(err.error);
        if (err.status === 429) {
          const wait = retryAfterMs(err.headers);
          const when = wait === null ? 'in a minute' : `in about ${seconds(wait)}`;
          return new ComposioError(`Composio is rate limiting requests${message ? ` (${message})` : ''}; try again ${when}`, 429, code);
        }
        return new ComposioError(message ?? `Composio answered with HTTP ${err.status}`, err.status, code);
      }
      return unreadable();
    }

    for (let attempt = 1; ; attempt++) {
      const signal = AbortSignal.timeout(limits.timeoutMs);
      try {
        return await request(client, signal);
      } catch (err) {
        // Our own deadline also covers a body that stalls after the headers arrived.
        const cause = signal.aborted ? new APIConnectionTimeoutError() : err;
        const failure = toComposioError(cause);
        const waitMs = attempt > limits.retries ? null : retryWait(cause, attempt);
        if (waitMs === null || waitMs > maxRetryAfterMs) throw failure;
        opts.logger?.warn(
          { operation, attempt, status: failure.status, waitMs, reason: failure.message },
          'Composio call failed, retrying',
        );
        await sleep(waitMs);
      }
    }
  }

  return {
    async listAccounts(composioUserId) {
      const accounts = new Map<string, ComposioAccount>();
      const seenCursors = new Set<string>();
      const listPage = (cursor: string | null): Promise<unknown> => {
        const query = { user_ids: [composioUserId], limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) };
        return call('list connected accounts', (client, signal) => client.connectedAccounts.list(query, { signal }), true);
      };
      let listing = listPage(null);
      for (let page = 1; ; page++) {
        const body = await listing;
        // The next page is asked for as soon as this one names it, before this one's accounts are
        // checked: still one request at a time, and the checking overlaps Composio's answering.
        const cursor = cursorSchema.safeParse(body).data?.next_cursor || null;
        if (cursor) {
          if (seenCursors.has(cursor))
            throw new ComposioError('Composio returned the same page twice while listing accounts', null, 'pagination');
          if (page >= maxPages)
            throw new ComposioError(`Composio still had more pages after ${maxPages}; stopped listing accounts`, null, 'pagination');
          seenCursors.add(cursor);
          listing = listPage(cursor);
          // Its failure is reported when it is awaited; not at all if this page turns out unreadable.
          listing.catch(() => {});
        }
        const parsed = pageSchema.safeParse(body);
        if (!parsed.success) {
          const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
          opts.logger?.warn({ issues }, 'Composio list response did not have the expected shape');
          throw unreadable();
        }
        // Keyed by id: an account listed twice (or moving between pages while we read) appears once,
        // as its most recently updated copy.
        for (const item of parsed.data.items) {
          const account = toAccount(item);
          const seen = accounts.get(account.id);
          if (!seen || account.updatedAt > seen.updatedAt) accounts.set(account.id, account);
        }
        if (!cursor) return [...accounts.values()];
      }
    },

    async revokeAccount(accountId) {
      try {
        await call(
          'revoke connected account',
          (client, signal) => client.connectedAccounts.delete(accountId, { revoke_on_delete: true }, { signal }),
          false,
        );
      } catch (err) {
        // Already gone in Composio: nothing is left to revoke.
        if (err instanceof ComposioError && err.status === 404) return;
        throw err;
      }
    },

    ...connectLinkCalls(call, () => (sdk ??= loadSdk(opts.apiKey, baseURL, timeoutMs)), opts.logger),

    async listTools(toolkit) {
      const tools = new Map<string, ComposioTool>();
      const seenCursors = new Set<string>();
      let cursor: string | null = null;
      for (let page = 1; page <= maxPages; page++) {
        const query = { toolkit_slug: toolkit, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) };
        const body: unknown = await call('list tools', (client, signal) => client.tools.list(query, { signal }), true);
        const parsed = toolPageSchema.safeParse(body);
        if (!parsed.success) {
          const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
          opts.logger?.warn({ issues, toolkit }, 'Composio tool list did not have the expected shape');
          throw unreadable();
        }
        for (const item of parsed.data.items) tools.set(item.slug, toTool(item));
        cursor = parsed.data.next_cursor || null;
        if (!cursor) return [...tools.values()];
        if (seenCursors.has(cursor))
          throw new ComposioError('Composio returned the same page twice while listing tools', null, 'pagination');
        seenCursors.add(cursor);
      }
      throw new ComposioError(`Composio still had more pages after ${maxPages}; stopped listing tools`, null, 'pagination');
    },

    async executeTool(slug, execution) {
      const body = {
        user_id: execution.userId,
        arguments: execution.arguments,
        ...(execution.connectedAccountId ? { connected_account_id: execution.connectedAccountId } : {}),
        ...(execution.customAuth ? { custom_auth_params: execution.customAuth } : {}),
        ...(execution.version ? { version: execution.version } : {}),
      };
      const answer: unknown = await call('execute tool', (client, signal) => client.tools.execute(slug, body, { signal }), false, {
        retries: 0,
        timeoutMs: executeTimeoutMs,
      });
      const parsed = executeSchema.safeParse(answer);
      if (!parsed.success) throw unreadable();
      return { successful: parsed.data.successful, data: parsed.data.data ?? null, error: parsed.data.error ?? null };
    },
  };
}

function toTool(item: z.infer<typeof toolSchema>): ComposioTool {
  const schema = item.input_parameters ?? {};
  return {
    slug: item.slug,
    name: nonEmpty(item.name) ?? item.slug,
    description: nonEmpty(item.description) ?? '',
    inputSchema: { type: 'object', ...schema },
    version: nonEmpty(item.version),
  };
}

// The ESM build's types: that is the build @composio/core loads and whose errors it throws.
type ClientModule = typeof import('@composio/client', { with: { 'resolution-mode': 'import' } });
type ComposioClient = InstanceType<ClientModule['Composio']>;
type CoreComposio = InstanceType<(typeof import('@composio/core', { with: { 'resolution-mode': 'import' } }))['Composio']>;
type Sdk = { client: ComposioClient; composio: CoreComposio } & Pick<
  ClientModule,
  'APIError' | 'APIConnectionError' | 'APIConnectionTimeoutError'
>;

/**
 * The real @composio/core SDK, with tracking and its npm version check off, and the raw client it
 * wraps (getClient) with our limits: retries are ours, because the SDK would sit out any
 * Retry-After however long; its logging is off because at debug level it prints request details.
 * Key and URL are passed explicitly so the SDK never reads COMPOSIO_* itself (config.ts is the only
 * reader of the environment). @composio/core is ESM-only, hence import(); see docs/decisions/003.
 */
async function loadSdk(apiKey: string, baseURL: string, timeoutMs: number): Promise<Sdk> {
  const [{ Composio }, { APIError, APIConnectionError, APIConnectionTimeoutError }] = await Promise.all([
    import('@composio/core'),
    // The error classes of the same (ESM) build the SDK throws, for instanceof.
    import('@composio/client'),
  ]);
  const composio = new Composio({ apiKey, baseURL, allowTracking: false, disableVersionCheck: true });
  const client = composio.getClient().withOptions({ maxRetries: 0, timeout: timeoutMs, logLevel: 'off' });
  return { client, composio, APIError, APIConnectionError, APIConnectionTimeoutError };
}

function toAccount(item: z.infer<typeof accountSchema>): ComposioAccount {
  return {
    id: item.id,
    toolkitSlug: item.toolkit.slug.toLowerCase(),
    status: item.status,
    isDisabled: item.is_disabled,
    identity: nonEmpty(item.alias) ?? realEmail(item.data) ?? realEmail(item.state?.val) ?? login(item.data) ?? login(item.state?.val),
    statusReason: nonEmpty(item.status_reason),
    createdAt: new Date(item.created_at),
    updatedAt: new Date(item.updated_at),
  };
}

// Credentials come back as "REDACTED"; that is not a name for the account.
function realEmail(values: Record<string, unknown> | null | undefined): string | null {
  const email = nonEmpty(values?.email);
  return email && email !== 'REDACTED' ? email : null;
}

// Toolkits without an email (GitHub, for one) may expose the account's login or user name.
function login(values: Record<string, unknown> | null | undefined): string | null {
  const names = [values?.login, values?.username, values?.user_name].map(nonEmpty);
  return names.find((name) => name !== null && name !== 'REDACTED') ?? null;
}

function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function composioErrorBody(body: unknown): { message: string | null; code: string | null } {
  const outer = isRecord(body) ? body : {};
  const inner = isRecord(outer.error) ? outer.error : outer;
  const message = nonEmpty(inner.message) ?? nonEmpty(outer.message);
  const code = nonEmpty(inner.slug) ?? (inner.code === undefined || inner.code === null ? null : String(inner.code));
  return { message, code };
}

/** Retry-After in seconds or as an HTTP date, as milliseconds from now. */
function retryAfterMs(headers: Headers | undefined): number | null {
  const value = headers?.get('retry-after');
  if (!value) return null;
  const ms = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

function unreadable(): ComposioError {
  return new ComposioError('Composio returned a response Switchboard could not read', null, 'bad_response');
}

function seconds(ms: number): string {
  if (ms >= 120_000) return `${Math.ceil(ms / 60_000)} minutes`;
  const s = Math.round(ms / 100) / 10;
  return `${s} ${s === 1 ? 'second' : 'seconds'}`;
}

function isDate(value: string): boolean {
  return !Number.isNaN(Date.parse(value));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// ---- Connect Links, auth configs, one account, webhooks --------------------------------------
// Through the raw client like the calls above, so our limits, retries and error messages apply.
// @composio/core's connectedAccounts.link() sends the same POST /api/v3.1/connected_accounts/link
// (client.link.create), but first lists the user's ACTIVE accounts and refuses a second one
// unless allowMultiple is set, and wraps every failure so Composio's status is lost.

type Call = <T>(
  operation: string,
  request: (client: ComposioClient, signal: AbortSignal) => PromiseLike<T>,
  retryConflicts: boolean,
) => Promise<T>;

const authConfigPageSchema = z.object({
  items: z.array(
    z.object({
      id: z.string().min(1),
      toolkit: z.object({ slug: z.string() }).nullish(),
      auth_scheme: z.string().nullish(),
      is_composio_managed: z.union([z.boolean(), z.string()]).nullish(),
      status: z.string().nullish(),
    }),
  ),
});
const linkSchema = z.object({ connected_account_id: z.string().min(1), redirect_url: z.url() });
const accountDetailSchema = accountSchema.extend({ user_id: z.string().nullish() });

function connectLinkCalls(
  call: Call,
  sdk: () => Promise<Sdk>,
  logger: ComposioGatewayOptions['logger'],
): Pick<ComposioGateway, 'listAuthConfigs' | 'createConnectLink' | 'getAccount' | 'verifyWebhook'> {
  function parsed<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
    const result = schema.safeParse(body);
    if (result.success) return result.data;
    logger?.warn(
      { issues: result.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`) },
      `Composio ${what} response did not have the expected shape`,
    );
    throw unreadable();
  }

  return {
    async listAuthConfigs(toolkitSlug) {
      const body: unknown = await call(
        'list auth configs',
        (client, signal) => client.authConfigs.list({ toolkit_slug: toolkitSlug }, { signal }),
        true,
      );
      return parsed(authConfigPageSchema, body, 'auth config list').items.map((item): ComposioAuthConfig => ({
        id: item.id,
        toolkitSlug: (item.toolkit?.slug ?? toolkitSlug).toLowerCase(),
        authScheme: item.auth_scheme ?? null,
        composioManaged: item.is_composio_managed === true || item.is_composio_managed === 'true',
        enabled: (item.status ?? 'ENABLED') === 'ENABLED',
      }));
    },

    async createConnectLink(composioUserId, authConfigId, callbackUrl) {
      const body: unknown = await call(
        'create connect link',
        (client, signal) =>
          client.link.create({ auth_config_id: authConfigId, user_id: composioUserId, callback_url: callbackUrl }, { signal }),
        false,
      );
      const link = parsed(linkSchema, body, 'connect link');
      return { accountId: link.connected_account_id, redirectUrl: link.redirect_url };
    },

    async getAccount(accountId) {
      const body: unknown = await call(
        'read connected account',
        (client, signal) => client.connectedAccounts.retrieve(accountId, { signal }),
        true,
      );
      const item = parsed(accountDetailSchema, body, 'connected account');
      const detail: ComposioAccountDetail = { ...toAccount(item), userId: item.user_id ?? null };
      return detail;
    },

    async verifyWebhook(delivery) {
      const { composio } = await sdk();
      let result;
      try {
        result = await composio.triggers.verifyWebhook({
          id: delivery.id,
          timestamp: delivery.timestamp,
          signature: delivery.signature,
          payload: delivery.payload,
          secret: delivery.secret,
          tolerance: delivery.toleranceSeconds,
        });
      } catch (error) {
        throw new ComposioWebhookRejected(error instanceof Error ? error.message : 'The webhook did not verify.');
      }
      const raw = result.rawPayload as { type?: unknown; data?: unknown };
      return { type: typeof raw.type === 'string' ? raw.type : '', data: isRecord(raw.data) ? raw.data : {} };
    },
  };
}
