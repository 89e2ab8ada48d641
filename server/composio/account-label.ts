/**
 * SQL naming an OAuth2 account (o, of integration i) on screens: the identity Composio gave (alias,
 * email or login), else the end of its Composio id, which is what tells two such accounts apart.
 * Composio returns credentials redacted and often no identity at all (shared/composio-api.md).
 */
export const OAUTH2_LABEL = `coalesce(o.account_identity, i.label || ' account ending …' || right(o.composio_account_id, 4))`;
