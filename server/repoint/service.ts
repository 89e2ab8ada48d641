import type { Tx } from '../db';
import { recordAudit } from '../audit/queries';
import { HttpError, notFound } from '../http/errors';
import type { ConnectionKind } from '../assistant-integrations/queries';
import { requireAdmin, type TeamContext } from '../teams/context';
import { plural } from '../text/plural';
import {
  findSourceConnection,
  lockAssistantsUsing,
  lockUsableTarget,
  repointAssistantIntegrations,
  type SourceConnection,
} from './queries';

export interface ConnectionRef {
  kind: ConnectionKind;
  id: number;
}

/** The connection, the assistants that use it and where they could move: one statement; 404 if not the team's. */
export async function loadSource(tx: Tx, team: TeamContext, source: ConnectionRef): Promise<SourceConnection> {
  const found = await findSourceConnection(tx, team.id, source.kind, source.id);
  if (!found) throw notFound('That connection');
  return found;
}

/**
 * Moves every assistant that uses `source` to `target`, in the caller's transaction: the target is
 * checked and locked, the assistants locked in id order, then one UPDATE and one audit row.
 */
export async function moveAll(
  tx: Tx,
  team: TeamContext,
  source: ConnectionRef,
  target: ConnectionRef,
): Promise<{ moved: number; message: string }> {
  requireAdmin(team, 'move assistants to another connection');
  const from = await loadSource(tx, team, source);
  if (from.kind === target.kind && from.id === target.id) {
    throw new HttpError(
      422,
      `The assistants already use ${from.label}. Choose another ${from.integration_label} connection to move them to.`,
      'invalid_connection',
    );
  }
  const to = await lockUsableTarget(tx, team.id, from.integration_id, target.kind, target.id);
  if (!to) {
    throw new HttpError(
      422,
      `That connection cannot take over from ${from.label}: it is not one of this team's working ${from.integration_label} connections (it may have been disabled, revoked or deleted). Choose another; nothing was moved.`,
      'invalid_connection',
    );
  }
  await lockAssistantsUsing(tx, team.id, from.integration_id, from.kind, from.id);
  const rows = await repointAssistantIntegrations(tx, { teamId: team.id, integrationId: from.integration_id, from, to: target });
  if (rows.length === 0) return { moved: 0, message: `No assistant uses ${from.label}; nothing was moved.` };
  await recordAudit(tx, {
    teamId: team.id,
    action: 'connection.assistants_moved',
    target: `${from.integration_label}: ${from.label} to ${to.label}`,
    details: {
      integration: from.integration_slug,
      from: { kind: from.kind, id: from.id, label: from.label },
      to: { kind: target.kind, id: to.id, label: to.label },
      count: rows.length,
    },
  });
  return { moved: rows.length, message: `Moved ${plural(rows.length, 'assistant')} from ${from.label} to ${to.label}.` };
}
