import type { Tx } from '../db';
import { recordAudit } from '../audit/queries';
import { HttpError, notFound } from '../http/errors';
import { idParam } from '../http/ids';
import type { TeamContext } from '../teams/context';
import { findAssistant, lockAssistant } from '../assistants/queries';
import { connectionRefSchema } from './schemas';
import {
  deletePromptIntegrationsNotIn,
  deleteSpecificPromptIntegration,
  findIntegration,
  listCatalogForAssistant,
  upsertPromptIntegration,
  upsertPromptIntegrations,
  type CatalogRow,
  type ConnectionKind,
  type ConnectionOption,
} from './queries';

export type IntegrationStatus = 'added' | 'available' | 'needs_connection' | 'connection_lost';

export interface IntegrationView extends Pick<CatalogRow, 'id' | 'slug' | 'label' | 'icon' | 'category' | 'description' | 'auth' | 'required'> {
  added: boolean;
  connection: ConnectionOption | null;
  status: IntegrationStatus;
  connections: ConnectionOption[];
}

export interface Assistant {
  id: number;
  name: string;
  description: string;
}

export const needsConnection = (auth: CatalogRow['auth']) => auth !== 'none';

export function toView(row: CatalogRow): IntegrationView {
  const added = row.added_id !== null;
  let status: IntegrationStatus;
  if (added) status = !needsConnection(row.auth) || row.current_connection ? 'added' : 'connection_lost';
  else status = !needsConnection(row.auth) || row.connections.length > 0 ? 'available' : 'needs_connection';
  return {
    id: row.id,
    slug: row.slug,
    label: row.label,
    icon: row.icon,
    category: row.category,
    description: row.description,
    auth: row.auth,
    required: row.required,
    added,
    connection: row.current_connection,
    status,
    connections: row.connections,
  };
}

/** The catalog as this assistant sees it: one statement. */
async function loadCatalog(tx: Tx, teamId: number, promptId: number): Promise<IntegrationView[]> {
  return (await listCatalogForAssistant(tx, teamId, promptId)).map(toView);
}

export async function loadAssistant(tx: Tx, team: TeamContext, promptId: number): Promise<Assistant> {
  const assistant = await findAssistant(tx, team.id, promptId);
  if (!assistant) throw notFound('That assistant');
  return assistant;
}

/** The assistant, locked: the first statement of every change to its integrations. */
export async function loadAssistantForUpdate(tx: Tx, team: TeamContext, promptId: number): Promise<Assistant> {
  const assistant = await lockAssistant(tx, team.id, promptId);
  if (!assistant) throw notFound('That assistant');
  return assistant;
}

/** The page: three statements (team, assistant, catalog) however large the team. */
export async function loadIntegrationsPage(tx: Tx, team: TeamContext, promptId: number) {
  const assistant = await loadAssistant(tx, team, promptId);
  const integrations = await loadCatalog(tx, team.id, promptId);
  return { assistant, integrations };
}

export interface Choice {
  kind: ConnectionKind;
  id: number;
}

/** Why a choice of connection is not acceptable, in words a person can act on; null when it is. */
export function connectionProblem(integration: IntegrationView, choice: Choice | null): string | null {
  if (!needsConnection(integration.auth)) {
    return choice ? `${integration.label} needs no connection; add it without one.` : null;
  }
  if (!choice) {
    return integration.connections.length === 0
      ? `${integration.label} needs a connection and the team has none that works. Connect one on the team's Integrations page first.`
      : `Choose which connection ${integration.label} should use.`;
  }
  if (integration.auth !== 'api_key_or_oauth2' && integration.auth !== choice.kind) {
    return integration.auth === 'oauth2'
      ? `${integration.label} connects through an OAuth2 account, not an API key. Choose one of the team's ${integration.label} accounts.`
      : `${integration.label} takes an API key, not an OAuth2 account. Choose one of the team's ${integration.label} API keys.`;
  }
  if (!integration.connections.some((c) => c.kind === choice.kind && c.id === choice.id)) {
    return `That connection cannot be used for ${integration.label}: it is not one of this team's working ${integration.label} connections (it may have been disabled, revoked or deleted). Choose another.`;
  }
  return null;
}

export type AddOutcome = { change: 'added' | 'switched' | 'unchanged'; integration: IntegrationView; connection: ConnectionOption | null };

/** Adds one integration to an assistant, or switches its connection; one transaction with its audit row. */
export async function addIntegration(tx: Tx, team: TeamContext, assistant: Assistant, integrationId: number, choice: Choice | null): Promise<AddOutcome> {
  const integration = (await loadCatalog(tx, team.id, assistant.id)).find((i) => i.id === integrationId);
  if (!integration) throw notFound('That integration');
  const problem = connectionProblem(integration, choice);
  if (problem) throw new HttpError(422, problem, 'invalid_connection', { integration: integration.slug });

  const result = await upsertPromptIntegration(tx, {
    teamId: team.id,
    promptId: assistant.id,
    integrationId,
    apiConnectionId: choice?.kind === 'api_key' ? choice.id : null,
    oauth2ConnectionId: choice?.kind === 'oauth2' ? choice.id : null,
  });
  const connection = choice ? integration.connections.find((c) => c.kind === choice.kind && c.id === choice.id)! : null;
  const change = !result ? 'unchanged' : result.inserted ? 'added' : 'switched';
  if (change !== 'unchanged') {
    await recordAudit(tx, {
      teamId: team.id,
      action: change === 'added' ? 'assistant.integration_added' : 'assistant.integration_switched',
      target: `${integration.label} on ${assistant.name}`,
      details: { assistantId: assistant.id, integration: integration.slug, connection: connection?.label ?? null },
    });
  }
  return { change, integration, connection };
}

export function addMessage(outcome: AddOutcome, assistant: Assistant): string {
  const { integration, connection } = outcome;
  const using = connection ? ` using ${connection.label}` : '';
  if (outcome.change === 'added') return `Added ${integration.label} to ${assistant.name}${using}.`;
  if (outcome.change === 'switched') return `${integration.label} on ${assistant.name} now uses ${connection?.label ?? 'no connection'}.`;
  return `${integration.label} is already on ${assistant.name}${using}; nothing changed.`;
}

/** Removes exactly one integration from an assistant; says so when it was not there. */
export async function removeIntegration(tx: Tx, team: TeamContext, assistant: Assistant, integrationId: number): Promise<{ removed: boolean; message: string }> {
  const integration = await findIntegration(tx, integrationId);
  if (!integration) throw notFound('That integration');
  const deleted = await deleteSpecificPromptIntegration(tx, assistant.id, integrationId);
  if (!deleted) return { removed: false, message: `${integration.label} is not on ${assistant.name}, so there was nothing to remove.` };
  await recordAudit(tx, {
    teamId: team.id,
    action: 'assistant.integration_removed',
    target: `${integration.label} on ${assistant.name}`,
    details: { assistantId: assistant.id, integration: integration.slug },
  });
  return { removed: true, message: `Removed ${integration.label} from ${assistant.name}.` };
}

/**
 * The legacy bulk form: replaces the assistant's whole set in one transaction. Everything is
 * checked before anything is written, so one bad item changes nothing.
 */
export async function replaceIntegrations(
  tx: Tx,
  team: TeamContext,
  assistant: Assistant,
  rawIds: string[],
  body: Record<string, unknown>,
): Promise<{ added: string[]; removed: string[]; switched: string[] }> {
  const catalog = await loadCatalog(tx, team.id, assistant.id);
  const byId = new Map(catalog.map((i) => [i.id, i]));
  const chosen = new Map<number, Choice | null>();

  for (const raw of rawIds) {
    const parsedId = idParam('integration_ids').safeParse(raw);
    if (!parsedId.success) throw new HttpError(400, `integration_ids contains "${raw.slice(0, 20)}", which is not a valid id.`);
    const integration = byId.get(parsedId.data);
    if (!integration) throw new HttpError(422, `integration_ids contains ${parsedId.data}, which is not an integration Switchboard offers.`);
    const field = `connection_${integration.id}`;
    let choice: Choice | null = null;
    if (body[field] !== undefined && body[field] !== '') {
      const ref = connectionRefSchema.safeParse(body[field]);
      if (!ref.success) throw new HttpError(422, `${field} (${integration.label}) ${ref.error.issues[0]!.message}.`);
      choice = ref.data;
    }
    const problem = connectionProblem(integration, choice);
    if (problem) throw new HttpError(422, problem, 'invalid_connection', { integration: integration.slug });
    chosen.set(integration.id, choice);
  }

  const items = [...chosen].map(([integrationId, choice]) => ({
    integrationId,
    apiConnectionId: choice?.kind === 'api_key' ? choice.id : null,
    oauth2ConnectionId: choice?.kind === 'oauth2' ? choice.id : null,
  }));
  const removedRows = await deletePromptIntegrationsNotIn(tx, assistant.id, items.map((i) => i.integrationId));
  const upserted = items.length ? await upsertPromptIntegrations(tx, team.id, assistant.id, items) : [];

  const label = (id: number) => byId.get(id)!.label;
  const result = {
    added: upserted.filter((r) => r.inserted).map((r) => label(r.integration_id)),
    switched: upserted.filter((r) => !r.inserted).map((r) => label(r.integration_id)),
    removed: removedRows.map((r) => label(r.integration_id)),
  };
  if (result.added.length + result.switched.length + result.removed.length > 0) {
    await recordAudit(tx, { teamId: team.id, action: 'assistant.integrations_replaced', target: assistant.name, details: { assistantId: assistant.id, ...result } });
  }
  return result;
}
