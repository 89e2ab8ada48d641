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
  createdAt: Date;
  updatedAt: Date;
}

export interface ComposioGateway {
  /** Every connected account of one Composio user id, all pages followed. */
  listAccounts(composioUserId: string): Promise<ComposioAccount[]>;
  /** Deletes one connected account in Composio and revokes its upstream tokens. */
  revokeAccount(accountId: string): Promise<void>;
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
