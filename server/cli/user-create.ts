import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config';
import { openDatabase } from '../db/open';
import { provisionUser } from '../users/provision';
import { endWithFailure, UsageError } from './failure';

const USAGE = 'Usage: npm run user:create -- --email E --password P --team "Team name" [--role admin|member]';

const argsSchema = z.object({
  email: z
    .string({ message: '--email is required.' })
    .trim()
    .toLowerCase()
    .regex(/^[^\s@]+@[^\s@]+$/, '--email must be an email address.'),
  password: z.string({ message: '--password is required.' }).min(8, '--password must be at least 8 characters.'),
  team: z
    .string({ message: '--team is required.' })
    .trim()
    .min(1, '--team must not be empty.')
    .max(100, '--team must be at most 100 characters.'),
  role: z.enum(['admin', 'member'], { message: '--role must be admin or member.' }).default('member'),
});

/**
 * Creates the user if needed, the team if needed, and the membership. Works on DATABASE_URL or the
 * embedded data directory; refuses (and changes nothing) while the app holds the embedded database.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, password: { type: 'string' }, team: { type: 'string' }, role: { type: 'string' } },
    strict: true,
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(`${parsed.error.issues[0]!.message}\n${USAGE}`);
  const args = parsed.data;

  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    const result = await db.withOwner((tx) =>
      provisionUser(tx, {
        email: args.email,
        password: args.password,
        teamName: args.team,
        role: args.role,
        firstTeamComposioUserId: config.composio.firstTeamUserId,
      }),
    );
    console.log(
      [
        result.createdUser ? `Created user ${args.email}.` : `User ${args.email} already existed; the password was left unchanged.`,
        result.createdTeam
          ? `Created team "${args.team}"; it syncs the accounts of Composio user id ${result.teamComposioUserId}.`
          : `Team "${args.team}" already existed.`,
        `${args.email} is ${args.role === 'admin' ? 'an admin' : 'a member'} of "${args.team}".`,
      ].join('\n'),
    );
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => endWithFailure(error, 'Could not create the user'));
