import type { Tx } from '../db';

/** One audit row, written inside the transaction of the change it records. */
export function recordAudit(tx: Tx, event: { teamId: number; action: string; target: string; details?: Record<string, unknown> }) {
  return tx.query('INSERT INTO audit_events (team_id, user_id, action, target, details) VALUES ($1, current_app_user(), $2, $3, $4)', [
    event.teamId,
    event.action,
    event.target,
    JSON.stringify(event.details ?? {}),
  ]);
}

export interface AuditEvent {
  id: number;
  action: string;
  target: string;
  details: Record<string, unknown>;
  created_at: Date;
  user_email: string | null;
}

export function listRecentAudit(tx: Tx, teamId: number, limit = 20) {
  return tx.query<AuditEvent & Record<string, unknown>>(
    `SELECT a.id, a.action, a.target, a.details, a.created_at, u.email AS user_email
       FROM audit_events a LEFT JOIN users u ON u.id = a.user_id
      WHERE a.team_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2`,
    [teamId, limit],
    { timestamps: ['created_at'] },
  );
}
