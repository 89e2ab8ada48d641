/**
 * "How to connect" for an integration that takes API keys leads to its add-key form on the team
 * page, opened, with where to go back to; after saving, the person lands on that assistant's
 * picker with the new key chosen. Only an assistant's integrations page of the same team is a
 * place to go back to: anything else (another team, another site, //host, javascript:) is ignored,
 * so the form can never redirect off the team's own pages.
 */

const ASSISTANT_PAGE = /^\/app\/team\/([1-9][0-9]{0,9})\/assistant\/([1-9][0-9]{0,9})\/integrations$/;

/** The path to go back to, or null when the value is not this team's assistant page. */
export function assistantReturnPath(value: unknown, teamId: number): string | null {
  if (typeof value !== 'string') return null;
  const match = ASSISTANT_PAGE.exec(value);
  if (!match || Number(match[1]) !== teamId || Number(match[2]) > 2147483647) return null;
  return value;
}

/** The add-key form of one integration on the team page, opened (and, with returnTo, coming back). */
export function addKeyFormUrl(teamId: number, slug: string, returnTo?: string): string {
  const back = returnTo ? `&return_to=${encodeURIComponent(returnTo)}` : '';
  return `/app/team/${teamId}/integrations?add_key=${encodeURIComponent(slug)}${back}#add-key-${slug}`;
}

/** Where a saved key goes: the assistant's picker for the integration, the new key chosen. */
export const pickerWithKeyUrl = (returnTo: string, integrationId: number, keyId: number) =>
  `${returnTo}/add/${integrationId}?connection=api:${keyId}`;

/**
 * "How to connect" from an assistant's page: the add-key form for an integration that takes only
 * API keys (or takes them too, when Composio is not set up), else the integration on the team page.
 * Members cannot add keys: they get the integration's keys on the team page.
 */
export function howToConnectUrl(
  context: { teamId: number; isAdmin: boolean; composioConfigured: boolean; returnTo: string },
  integration: { slug: string; auth: string },
): string {
  const byKey = integration.auth === 'api_key' || (integration.auth === 'api_key_or_oauth2' && !context.composioConfigured);
  if (!byKey) return `/app/team/${context.teamId}/integrations#provider-${integration.slug}`;
  if (!context.isAdmin) return `/app/team/${context.teamId}/integrations#api-keys-${integration.slug}`;
  return addKeyFormUrl(context.teamId, integration.slug, context.returnTo);
}
