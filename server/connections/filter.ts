import { AUTH_CHOICES, carriedFilter, filterQuerySchema, listQuery, type Choice, type Filterable } from '../filters/integration-filter';
import type { TeamIntegrationStatus, TeamIntegrationView } from './service';

/**
 * The team page lists OAuth2 integrations (Composio accounts) and, apart, the integrations that take
 * API keys: "OAuth2" shows the first, "API key" the second. An API-key integration is connected
 * once it has a key.
 */
export const TEAM_STATUS_CHOICES: Choice<TeamIntegrationStatus>[] = [
  { value: 'connected', label: 'Connected' },
  { value: 'not_connected', label: 'Not connected' },
  { value: 'needs_reconnect', label: 'Needs reconnect' },
  { value: 'disabled', label: 'Disabled' },
];

/** The shared auth chips less "Built-in": built-in integrations need no connection, so the team page has none. */
export const TEAM_AUTH_CHOICES = AUTH_CHOICES.filter((c): c is Choice<'oauth2' | 'api_key'> => c.value !== 'none');

export const teamFilterSchema = filterQuerySchema(
  TEAM_STATUS_CHOICES.map((c) => c.value),
  TEAM_AUTH_CHOICES.map((c) => c.value),
);

/**
 * The list filter a change on the team page came from ("?q=..&status=.." or ""): row forms and the
 * confirmation pages between them carry it in their URLs, and the change goes back to that list.
 * Bad parts are dropped, never refused.
 */
export const teamListQuery = (query: unknown) => listQuery(carriedFilter(teamFilterSchema, query));

const STATUS_WORDS: Record<TeamIntegrationStatus, string> = {
  connected: 'connected',
  not_connected: 'not connected',
  needs_reconnect: 'needs reconnect needs attention expired',
  disabled: 'disabled here',
};

export function teamIntegrationFilterable(provider: TeamIntegrationView): Filterable {
  return {
    label: provider.label,
    description: `${provider.description} ${provider.whyNeeded}`,
    category: provider.category,
    auths: ['oauth2'],
    statuses: [provider.status],
    words: `${STATUS_WORDS[provider.status]} ${provider.provider} ${provider.accountEmail ?? ''}`,
  };
}

export function apiKeyFilterable(integration: {
  slug: string;
  label: string;
  description: string;
  category: string;
  key_count: number;
}): Filterable {
  const status: TeamIntegrationStatus = integration.key_count > 0 ? 'connected' : 'not_connected';
  return {
    label: integration.label,
    description: integration.description,
    category: integration.category,
    auths: ['api_key'],
    statuses: [status],
    words: `${STATUS_WORDS[status]} ${integration.slug}`,
  };
}
