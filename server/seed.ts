import { randomBytes } from 'node:crypto';
import type { Config } from './config';
import type { Database } from './db';
import { provisionUser } from './users/provision';

export const DEMO_EMAIL = 'demo@example.com';
export const DEMO_TEAM = 'Demo Team';
/** The advisory lock key of the demo seed (any constant; "seed" in ASCII). */
const SEED_LOCK = 0x73656564;

/**
 * Outside production only: on first start, the Demo Team with its admin and two assistants.
 * The generated password is printed once, to the terminal, never to the logs.
 */
export async function seedDemo(db: Database, config: Config, print: (msg: string) => void): Promise<void> {
  if (config.isProduction) return;
  const password = config.demoPassword ?? randomBytes(9).toString('base64url');
  const seeded = await db.withOwner(async (tx) => {
    // Instances starting together take turns here; whoever comes second finds the demo user.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK]);
    const existing = await tx.maybeOne('SELECT 1 FROM users WHERE email = $1', [DEMO_EMAIL]);
    if (existing) return false;
    const { teamId, createdUser } = await provisionUser(tx, {
      email: DEMO_EMAIL,
      password,
      teamName: DEMO_TEAM,
      role: 'admin',
      firstTeamComposioUserId: config.composio.firstTeamUserId,
    });
    if (!createdUser) return false;
    await tx.query(
      `INSERT INTO prompts (team_id, name, description) VALUES
         ($1, 'Sales Assistant', 'Drafts follow-ups and keeps the pipeline tidy.'),
         ($1, 'Support Assistant', 'Answers customer questions from the docs and files issues.')`,
      [teamId],
    );
    return true;
  });
  if (!seeded) return;
  print(`Demo team created. Sign in as ${DEMO_EMAIL} with password: ${config.demoPassword ? '(the DEMO_PASSWORD you set)' : password}`);
}
