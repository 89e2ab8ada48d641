import { authChoices, carriedFilter, filterQuerySchema, listQuery, type Choice, type Filterable } from '../filters/integration-filter';
import type { IntegrationView } from './service';

/** The status chips of an assistant's integrations; "Added" includes those whose connection was lost. */
export const ASSISTANT_STATUS_CHOICES: Choice<'added' | 'available' | 'needs_attention'>[] = [
  { value: 'added', label: 'Added' },
  { value: 'available', label: 'Available' },
  { value: 'needs_attention', label: 'Needs attention' },
];

export const assistantFilterSchema = filterQuerySchema(
  ASSISTANT_STATUS_CHOICES.map((c) => c.value),
  ['oauth2', 'api_key', 'none'],
);

/**
 * The list filter a change on an assistant's page came from ("?q=..&status=.." or ""), read from
 * `query`: the change goes back to that list. Bad parts are dropped, never refused.
 */
export const assistantListQuery = (query: unknown) => listQuery(carriedFilter(assistantFilterSchema, query));

const STATUS_WORDS: Record<IntegrationView['status'], string> = {
  added: 'added',
  available: 'available',
  needs_connection: 'needs a connection needs attention',
  connection_lost: 'added connection lost needs attention',
};

export function assistantFilterable(integration: IntegrationView): Filterable {
  const statuses: string[] = [];
  if (integration.added) statuses.push('added');
  if (integration.status === 'available') statuses.push('available');
  if (integration.status === 'needs_connection' || integration.status === 'connection_lost') statuses.push('needs_attention');
  return {
    label: integration.label,
    description: integration.description,
    category: integration.category,
    auths: authChoices(integration.auth),
    statuses,
    words: `${STATUS_WORDS[integration.status]} ${integration.slug} ${integration.connection?.label ?? ''}`,
  };
}
