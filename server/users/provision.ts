import type { Tx } from '../db';
import { hashPassword } from '../auth/password';

export interface ProvisionResult {
  userId: number;
  teamId: number;
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
  input: { email: string; password: string; teamName: string; role: 'admin' | 'member' },
): Promise<ProvisionResult> {
  const email = input.email.trim().toLowerCase();
  const insertedUser = await tx.maybeOne<{ id: number }>(
    'INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING id',
    [email, await hashPassword(input.password)],
  );
  const userId = insertedUser?.id ?? (await tx.one<{ id: number }>('SELECT id FROM users WHERE email = $1', [email])).id;

  const insertedTeam = await tx.maybeOne<{ id: number }>('INSERT INTO teams (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id', [input.teamName]);
  const teamId = insertedTeam?.id ?? (await tx.one<{ id: number }>('SELECT id FROM teams WHERE name = $1', [input.teamName])).id;

  await tx.query(
    'INSERT INTO team_users (team_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role',
    [teamId, userId, input.role],
  );
  return { userId, teamId, createdUser: Boolean(insertedUser), createdTeam: Boolean(insertedTeam), role: input.role };
}
