/**
 * What the rest of Switchboard knows about Composio. Only server/composio/ talks to the SDK;
 * routes and the sync depend on this interface, so tests and the demo can point the real SDK
 * at the fake server in test/fakes/.
 */
export interface ComposioAccount {
  /** Composio's connected account id, e.g. "ca_123". */
  id: string;
  /** Toolkit slug exactly as Composio reports it, lower-cased ("gmail", "googledrive", ...). */
  toolkitSlug: string;
  /** INITIALIZING | INITIATED | ACTIVE | FAILED | EXPIRED | INACTIVE | REVOKED */
  status: string;
  /** Disabled from Composio's side (is_disabled). */
  isDisabled: boolean;
  /** A human name for the account when Composio gives one (alias, or a non-redacted email in data/state.val); never invented. */
  identity: string | null;
  /** Why Composio says the account is not ACTIVE (status_reason), when it says. */
  statusReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One tool of a toolkit, as Composio describes it. */
export interface ComposioTool {
  /** e.g. "GMAIL_SEND_EMAIL": unique across Composio. */
  slug: string;
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  inputSchema: Record<string, unknown>;
  /** The version the definition belongs to; execution asks for the same one. */
  version: string | null;
}

export interface ComposioExecution {
  /** The team's Composio user id. */
  userId: string;
  /** The OAuth2 connected account to act as; absent when an API key is passed instead. */
  connectedAccountId?: string;
  /** Credentials we hold (an API key), sent as Composio's custom_auth_params. */
  customAuth?: { parameters: { name: string; in: 'header' | 'query'; value: string }[] };
  arguments: Record<string, unknown>;
  version?: string | null;
}

/** Composio's answer to an execution: `successful: false` carries the tool's own error. */
export interface ComposioToolResult {
  successful: boolean;
  data: unknown;
  error: string | null;
}

export interface ComposioGateway {
  /** Every connected account of one Composio user id, all pages followed. */
  listAccounts(composioUserId: string): Promise<ComposioAccount[]>;
  /** Deletes one connected account in Composio and revokes its upstream tokens. */
  revokeAccount(accountId: string): Promise<void>;
  /** Every tool of one toolkit, all pages followed. */
  listTools(toolkit: string): Promise<ComposioTool[]>;
  /** Runs one tool once: never retried, because a tool may send an email or file an issue. */
  executeTool(slug: string, execution: ComposioExecution): Promise<ComposioToolResult>;
}

/** A Composio call that failed: HTTP status when there was one, and Composio's own message. */
export class ComposioError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ComposioError';
  }
}

/** What a person is told when a Composio call fails. Composio's messages may lack a final full stop. */
export function composioFailureMessage(error: ComposioError): string {
  const reason = error.message.trim();
  return `Composio answered with an error: ${/[.!?]$/.test(reason) ? reason : `${reason}.`} Nothing was changed.`;
}

// ---- Connect Links, auth configs, one account, webhooks --------------------------------------
// (Declaration merging: these methods are part of ComposioGateway.)

/** An auth config of a toolkit: how Composio authenticates people for it. */
export interface ComposioAuthConfig {
  id: string;
  toolkitSlug: string;
  /** OAUTH2, API_KEY, ... as Composio reports it. */
  authScheme: string | null;
  composioManaged: boolean;
  enabled: boolean;
}

/** What Composio answers when asked for a Connect Link: the account it created (INITIATED) and where to send the person. */
export interface ComposioConnectLink {
  accountId: string;
  redirectUrl: string;
}

/** One connected account read by its id, with the Composio user id it belongs to and why it is not ACTIVE. */
export interface ComposioAccountDetail extends ComposioAccount {
  userId: string | null;
}

/** A verified webhook delivery: Composio's event type and the event's data object. */
export interface ComposioWebhookEvent {
  type: string;
  data: Record<string, unknown>;
}

/** A webhook delivery that did not verify: wrong signature, missing headers, or a timestamp out of tolerance. */
export class ComposioWebhookRejected extends Error {
  override name = 'ComposioWebhookRejected';
}

export interface ComposioGateway {
  /** The toolkit's auth configs (GET /api/v3.1/auth_configs?toolkit_slug=...). */
  listAuthConfigs(toolkitSlug: string): Promise<ComposioAuthConfig[]>;
  /** A hosted Connect Link for this Composio user id and auth config (POST /api/v3.1/connected_accounts/link). */
  createConnectLink(composioUserId: string, authConfigId: string, callbackUrl: string): Promise<ComposioConnectLink>;
  /** One connected account (GET /api/v3.1/connected_accounts/{id}). */
  getAccount(accountId: string): Promise<ComposioAccountDetail>;
  /** Verifies a delivery's Standard Webhooks signature and timestamp with the SDK; throws ComposioWebhookRejected. */
  verifyWebhook(delivery: {
    id: string;
    timestamp: string;
    signature: string;
    payload: string;
    secret: string;
    toleranceSeconds: number;
  }): Promise<ComposioWebhookEvent>;
}
