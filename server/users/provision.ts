import type { Tx } from '../db';
import { hashPassword } from '../auth/password';

export interface ProvisionResult {
  userId: number;
  teamId: number;
  teamComposioUserId: string;
  createdUser: boolean;
  createdTeam: boolean;
  role: 'admin' | 'member';
}

/**
 * Creates the user if needed, the team if needed, and the membership (or updates its role).
 * Runs as the table owner: it is for the command line and the demo seed, never for a request.
 * An existing user's password is left alone.
 */
export async function provisionUser(
  tx: Tx,
  input: {
    email: string;
    password: string;
    teamName: string;
    role: 'admin' | 'member';
    /** COMPOSIO_USER_ID: becomes the new team's Composio user id only if it is the first team of the database. */
    firstTeamComposioUserId?: string;
  },
): Promise<ProvisionResult> {
  const email = input.email.trim().toLowerCase();
  const insertedUser = await tx.maybeOne<{ id: number }>(
    'INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING id',
    [email, await hashPassword(input.password)],
  );
  const userId = insertedUser?.id ?? (await tx.one<{ id: number }>('SELECT id FROM users WHERE email = $1', [email])).id;

  const insertedTeam = await tx.maybeOne<{ id: number; composio_user_id: string }>(
    `INSERT INTO teams (name, composio_user_id)
     VALUES ($1, CASE WHEN $2::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM teams) THEN $2::text ELSE new_composio_user_id() END)
     ON CONFLICT (name) DO NOTHING RETURNING id, composio_user_id`,
    [input.teamName, input.firstTeamComposioUserId ?? null],
  );
  const team =
    insertedTeam ??
    (await tx.one<{ id: number; composio_user_id: string }>('SELECT id, composio_user_id FROM teams WHERE name = $1', [input.teamName]));
  const teamId = team.id;

  await tx.query(
    'INSERT INTO team_users (team_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role',
    [teamId, userId, input.role],
  );
  return {
    userId,
    teamId,
    teamComposioUserId: team.composio_user_id,
    createdUser: Boolean(insertedUser),
    createdTeam: Boolean(insertedTeam),
    role: input.role,
  };
}
