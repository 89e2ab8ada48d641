import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from './auth/password';
import type { Config } from './config';
import type { Database } from './db';
import { provisionUser } from './users/provision';
import { setUserPassword } from './users/queries';

export const DEMO_EMAIL = 'demo@example.com';
export const DEMO_TEAM = 'Demo Team';
/** The advisory lock key of the demo seed (any constant; "seed" in ASCII). */
const SEED_LOCK = 0x73656564;

/**
 * Outside production only: on first start, the Demo Team with its admin and two assistants.
 * The generated password is printed once, to the terminal, never to the logs. On a later start,
 * a DEMO_PASSWORD that is not the demo user's password becomes it (and signs the demo user out),
 * so the variable is never silently ignored; the same one again changes nothing.
 */
export async function seedDemo(db: Database, config: Config, print: (msg: string) => void): Promise<void> {
  if (config.isProduction) return;
  const password = config.demoPassword ?? randomBytes(9).toString('base64url');
  const outcome = await db.withOwner(async (tx) => {
    // Instances starting together take turns here; whoever comes second finds the demo user.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK]);
    const existing = await tx.maybeOne<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [DEMO_EMAIL]);
    if (existing) {
      if (!config.demoPassword || (await verifyPassword(config.demoPassword, existing.password_hash))) return 'unchanged';
      await setUserPassword(tx, DEMO_EMAIL, await hashPassword(config.demoPassword));
      return 'password reset';
    }
    const { teamId, createdUser } = await provisionUser(tx, {
      email: DEMO_EMAIL,
      password,
      teamName: DEMO_TEAM,
      role: 'admin',
      firstTeamComposioUserId: config.composio.firstTeamUserId,
    });
    if (!createdUser) return 'unchanged';
    await tx.query(
      `INSERT INTO assistants (team_id, name, description) VALUES
         ($1, 'Sales Assistant', 'Drafts follow-ups and keeps the pipeline tidy.'),
         ($1, 'Support Assistant', 'Answers customer questions from the docs and files issues.')`,
      [teamId],
    );
    return 'created';
  });
  if (outcome === 'created') {
    print(`Demo team created. Sign in as ${DEMO_EMAIL} with password: ${config.demoPassword ? '(the DEMO_PASSWORD you set)' : password}`);
  } else if (outcome === 'password reset') {
    print(`DEMO_PASSWORD is now the password of ${DEMO_EMAIL} (it was different; the demo user was signed out everywhere).`);
  }
}
