import type { Tx } from '../db';
import { readTogether } from '../db/together';
import { loadAccessPanel } from '../assistant-access/service';
import { recordAudit } from '../audit/queries';
import { HttpError, notFound } from '../http/errors';
import { idParam } from '../http/ids';
import { InputError } from '../http/validate';
import type { TeamContext, TeamRef } from '../teams/context';
import { findAssistant, lockAssistant } from '../assistants/queries';
import { connectionRefSchema } from './schemas';
import {
  deleteAssistantIntegrationsNotIn,
  deleteSpecificAssistantIntegration,
  findCatalogEntry,
  findIntegration,
  findUsableConnections,
  listCatalogForAssistant,
  upsertAssistantIntegration,
  upsertAssistantIntegrations,
  type CatalogRow,
  type LostReason,
  type ConnectionKind,
  type ConnectionOption,
} from './queries';

export type IntegrationStatus = 'added' | 'available' | 'needs_connection' | 'connection_lost';

export interface IntegrationView extends Pick<
  CatalogRow,
  'id' | 'slug' | 'label' | 'icon' | 'category' | 'description' | 'auth' | 'required'
> {
  added: boolean;
  connection: ConnectionOption | null;
  status: IntegrationStatus;
  /** Whether the team has none, one or several usable connections for it: all the page needs to know. */
  connectionsToChooseFrom: 'none' | 'one' | 'several';
  /** The connections themselves, where they were loaded (the picker, JSON clients); else null. */
  connections: ConnectionOption[] | null;
  /** For "Connection lost": which connection it was, why it cannot be used, and the one action that fixes it. */
  lost: LostView | null;
}

export interface LostView {
  /** The account's name; null when the connection is gone (a deleted API key). */
  connection: string | null;
  reason: LostReason | 'deleted';
  detail: string | null;
  fix: 'enable' | 'reconnect' | 'choose';
}

const FIX_FOR: Record<LostView['reason'], LostView['fix']> = {
  disabled: 'enable',
  expired: 'reconnect',
  disabled_in_composio: 'reconnect',
  revoked: 'choose',
  gone: 'choose',
  deleted: 'choose',
};

function lostView(row: CatalogRow): LostView {
  const lost = row.lost_connection;
  const reason = lost?.reason ?? 'deleted';
  const detail = lost
    ? (lost.detail ?? (lost.reason === 'expired' && lost.status !== 'EXPIRED' ? `Composio reports it ${lost.status.toLowerCase()}` : null))
    : null;
  return { connection: lost?.label ?? null, reason, detail, fix: FIX_FOR[reason] };
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
  else status = !needsConnection(row.auth) || row.connection_count > 0 ? 'available' : 'needs_connection';
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
    connectionsToChooseFrom: row.connection_count === 0 ? 'none' : row.connection_count === 1 ? 'one' : 'several',
    connections: row.connections,
    lost: status === 'connection_lost' ? lostView(row) : null,
  };
}

/** The documented JSON shape of one integration (README "JSON"): the view with its connections listed. */
export function integrationJson(view: IntegrationView) {
  return {
    id: view.id,
    slug: view.slug,
    label: view.label,
    icon: view.icon,
    category: view.category,
    description: view.description,
    auth: view.auth,
    required: view.required,
    added: view.added,
    connection: view.connection,
    status: view.status,
    connections: view.connections ?? [],
  };
}

/** The catalog as this assistant sees it: one statement; the connection lists only when asked for. */
async function loadCatalog(tx: Tx, teamId: number, assistantId: number, withConnections: boolean): Promise<IntegrationView[]> {
  return ((await listCatalogForAssistant(tx, teamId, assistantId, { withConnections }))?.catalog ?? []).map(toView);
}

export async function loadAssistant(tx: Tx, team: TeamContext, assistantId: number): Promise<Assistant> {
  const assistant = await findAssistant(tx, team.id, assistantId);
  if (!assistant) throw notFound('That assistant');
  return assistant;
}

/** The assistant, locked: the first statement of every change to its integrations. */
export async function loadAssistantForUpdate(tx: Tx, team: TeamContext, assistantId: number): Promise<Assistant> {
  const assistant = await lockAssistant(tx, team.id, assistantId);
  if (!assistant) throw notFound('That assistant');
  return assistant;
}

/**
 * The assistant and its catalog: one statement however large the team. The HTML needs only
 * none/one/several per integration; JSON clients (withConnections) get every integration's usable
 * connections listed.
 */
export async function loadIntegrationsPage(tx: Tx, team: TeamRef, assistantId: number, options: { withConnections: boolean }) {
  const found = await listCatalogForAssistant(tx, team.id, assistantId, options);
  if (!found) throw notFound('That assistant');
  return { assistant: found.assistant, integrations: found.catalog.map(toView) };
}

/**
 * The HTML page: the assistant with its catalog and its MCP sections (tokens, tool permissions,
 * recent calls), read in one statement however large the team (docs/decisions/017-one-round-trip-per-read.md).
 * The catalog's choices and the tool permissions come from one pass over the assistant's added
 * integrations (docs/decisions/035-one-pass-over-added-integrations.md).
 */
export async function loadAssistantPage(tx: Tx, team: TeamRef, assistantId: number, composioConfigured: boolean) {
  const [found, access] = await readTogether(tx, (batch) => {
    const page = listCatalogForAssistant(batch, team.id, assistantId, { withConnections: false, withToolSources: true });
    return [
      page,
      loadAccessPanel(
        batch,
        team,
        assistantId,
        composioConfigured,
        page.then((p) => p?.toolSources ?? []),
      ),
    ] as const;
  });
  if (!found) throw notFound('That assistant');
  return { assistant: found.assistant, integrations: found.catalog.map(toView), access };
}

/** How many connections the picker lists; a filter finds the others. */
export const PICKER_SHOWN = 50;

/**
 * The picker: the assistant, and the integration with its first usable connections whose label
 * contains `matching` (the preselected one first, then the one in use) and how many match in all.
 * One statement.
 */
export async function loadPicker(
  tx: Tx,
  team: TeamRef,
  assistantId: number,
  integrationId: number,
  matching: string,
  preselect: Choice | null = null,
) {
  const found = await findCatalogEntry(tx, {
    teamId: team.id,
    assistantId,
    integrationId,
    choice: preselect,
    list: { first: PICKER_SHOWN, matching },
  });
  if (!found) throw notFound('That assistant');
  if (!found.entry) throw notFound('That integration');
  return {
    assistant: found.assistant as Assistant,
    integration: toView(found.entry),
    connectionsMatching: found.entry.connections_matching ?? 0,
  };
}

export interface Choice {
  kind: ConnectionKind;
  id: number;
}

/**
 * Why a choice of connection is not acceptable, in words a person can act on; null when it is.
 * `chosen` is the choice found among the integration's usable connections, or null.
 */
export function connectionProblem(integration: IntegrationView, choice: Choice | null, chosen: ConnectionOption | null): string | null {
  if (!needsConnection(integration.auth)) {
    return choice ? `${integration.label} needs no connection; add it without one.` : null;
  }
  if (!choice) {
    return integration.connectionsToChooseFrom === 'none'
      ? `${integration.label} needs a connection and the team has none that works. Connect one on the team's Integrations page first.`
      : `Choose which connection ${integration.label} should use.`;
  }
  if (integration.auth !== 'api_key_or_oauth2' && integration.auth !== choice.kind) {
    return integration.auth === 'oauth2'
      ? `${integration.label} connects through an OAuth2 account, not an API key. Choose one of the team's ${integration.label} accounts.`
      : `${integration.label} takes an API key, not an OAuth2 account. Choose one of the team's ${integration.label} API keys.`;
  }
  if (!chosen) {
    return `That connection cannot be used for ${integration.label}: it is not one of this team's working ${integration.label} connections (it may have been disabled, revoked or deleted). Choose another.`;
  }
  return null;
}

export type AddOutcome = { change: 'added' | 'switched' | 'unchanged'; integration: IntegrationView; connection: ConnectionOption | null };

/**
 * Adds one integration to an assistant, or switches its connection; one transaction with its audit
 * row. It reads only the chosen connection, and the integration's list only for JSON clients.
 */
export async function addIntegration(
  tx: Tx,
  team: TeamContext,
  assistant: Assistant,
  integrationId: number,
  choice: Choice | null,
  options: { withConnections: boolean },
): Promise<AddOutcome> {
  const entry = (
    await findCatalogEntry(tx, {
      teamId: team.id,
      assistantId: assistant.id,
      integrationId,
      choice,
      list: options.withConnections ? 'all' : 'none',
    })
  )?.entry;
  if (!entry) throw notFound('That integration');
  const integration = toView(entry);
  const problem = connectionProblem(integration, choice, entry.chosen);
  if (problem) throw new HttpError(422, problem, 'invalid_connection', { integration: integration.slug });

  const result = await upsertAssistantIntegration(tx, {
    teamId: team.id,
    assistantId: assistant.id,
    integrationId,
    apiConnectionId: choice?.kind === 'api_key' ? choice.id : null,
    oauth2ConnectionId: choice?.kind === 'oauth2' ? choice.id : null,
  });
  const connection = entry.chosen;
  const change = !result ? 'unchanged' : result.inserted ? 'added' : 'switched';
  if (change !== 'unchanged') {
    await recordAudit(tx, {
      teamId: team.id,
      action: change === 'added' ? 'assistant.integration_added' : 'assistant.integration_switched',
      target: `${integration.label} on ${assistant.name}`,
      details: {
        assistantId: assistant.id,
        assistantName: assistant.name,
        integration: integration.slug,
        integrationLabel: integration.label,
        connection: connection?.label ?? null,
        ...(change === 'switched' ? { from: result?.previous_label ?? null } : {}),
      },
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
export async function removeIntegration(
  tx: Tx,
  team: TeamContext,
  assistant: Assistant,
  integrationId: number,
): Promise<{ removed: boolean; message: string; /** its slug */ integration: string }> {
  const integration = await findIntegration(tx, integrationId);
  if (!integration) throw notFound('That integration');
  const deleted = await deleteSpecificAssistantIntegration(tx, assistant.id, integrationId);
  if (!deleted)
    return {
      removed: false,
      message: `${integration.label} is not on ${assistant.name}, so there was nothing to remove.`,
      integration: integration.slug,
    };
  await recordAudit(tx, {
    teamId: team.id,
    action: 'assistant.integration_removed',
    target: `${integration.label} on ${assistant.name}`,
    details: {
      assistantId: assistant.id,
      assistantName: assistant.name,
      integration: integration.slug,
      integrationLabel: integration.label,
    },
  });
  return { removed: true, message: `Removed ${integration.label} from ${assistant.name}.`, integration: integration.slug };
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
  const catalog = await loadCatalog(tx, team.id, assistant.id, false);
  const byId = new Map(catalog.map((i) => [i.id, i]));
  const requested: { integration: IntegrationView; choice: Choice | null }[] = [];

  for (const raw of rawIds) {
    const parsedId = idParam('integration_ids').safeParse(raw);
    if (!parsedId.success)
      throw fieldError(400, 'integration_ids', `integration_ids contains "${raw.slice(0, 20)}", which is not a valid id.`);
    const integration = byId.get(parsedId.data);
    if (!integration)
      throw fieldError(
        422,
        'integration_ids',
        `integration_ids contains ${parsedId.data}, which is not an integration Switchboard offers.`,
      );
    const field = `connection_${integration.id}`;
    let choice: Choice | null = null;
    if (body[field] !== undefined && body[field] !== '') {
      const ref = connectionRefSchema.safeParse(body[field]);
      if (!ref.success) throw fieldError(422, field, `${field} (${integration.label}) ${ref.error.issues[0]!.message}.`);
      choice = ref.data;
    }
    requested.push({ integration, choice });
  }

  // Only the chosen connections are read, all in one statement, before anything is written.
  const refs = requested.flatMap(({ integration, choice }) => (choice ? [{ integrationId: integration.id, ...choice }] : []));
  const usable = refs.length ? await findUsableConnections(tx, team.id, refs) : [];
  const chosen = new Map<number, Choice | null>();
  for (const { integration, choice } of requested) {
    const found = choice
      ? usable.find((c) => c.integration_id === integration.id && c.kind === choice.kind && c.id === choice.id)
      : undefined;
    const problem = connectionProblem(integration, choice, found ? { kind: found.kind, id: found.id, label: found.label } : null);
    if (problem) throw new HttpError(422, problem, 'invalid_connection', { integration: integration.slug });
    chosen.set(integration.id, choice);
  }

  const items = [...chosen].map(([integrationId, choice]) => ({
    integrationId,
    apiConnectionId: choice?.kind === 'api_key' ? choice.id : null,
    oauth2ConnectionId: choice?.kind === 'oauth2' ? choice.id : null,
  }));
  const removedRows = await deleteAssistantIntegrationsNotIn(
    tx,
    assistant.id,
    items.map((i) => i.integrationId),
  );
  const upserted = items.length ? await upsertAssistantIntegrations(tx, team.id, assistant.id, items) : [];

  const label = (id: number) => byId.get(id)!.label;
  const result = {
    added: upserted.filter((r) => r.inserted).map((r) => label(r.integration_id)),
    switched: upserted.filter((r) => !r.inserted).map((r) => label(r.integration_id)),
    removed: removedRows.map((r) => label(r.integration_id)),
  };
  if (result.added.length + result.switched.length + result.removed.length > 0) {
    await recordAudit(tx, {
      teamId: team.id,
      action: 'assistant.integrations_replaced',
      target: assistant.name,
      details: { assistantId: assistant.id, ...result },
    });
  }
  return result;
}

/** Bad input in one field of the legacy bulk form; JSON clients get it in `fields`. */
function fieldError(status: number, field: string, message: string): InputError {
  return new InputError(status, message, { [field]: message });
}
