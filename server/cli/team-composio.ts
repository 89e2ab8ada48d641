import { parseArgs } from 'node:util';
import { z } from 'zod';
import { recordAudit } from '../audit/queries';
import { loadConfig } from '../config';
import { pgErrorCode } from '../db';
import { openDatabase } from '../db/open';
import { findTeamByComposioUserId, findTeamByName, listTeamNames, setTeamComposioUserId } from '../teams/queries';
import { endWithFailure, Refusal, UsageError } from './failure';

const USAGE = 'Usage: npm run team:composio -- --team "Team name" --user-id COMPOSIO_USER_ID';

const argsSchema = z.object({
  team: z.string({ message: '--team is required.' }).trim().min(1, '--team must not be empty.'),
  'user-id': z
    .string({ message: '--user-id is required.' })
    .trim()
    // Control characters are exactly what this pattern refuses.
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\s\x00-\x1f\x7f]{1,200}$/, '--user-id must be 1 to 200 characters, without spaces or control characters.'),
});

/**
 * Binds an existing Composio user id to a team, for accounts people already connected under it.
 * An operator action, never a form: a team admin cannot choose the id, and no two teams may share
 * one. Refuses an id that another team has (exit 1, nothing changed). Works on DATABASE_URL or the
 * embedded data directory while the app is stopped. See docs/decisions/013-team-composio-user-id.md.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { team: { type: 'string' }, 'user-id': { type: 'string' } }, strict: true });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(`${parsed.error.issues[0]!.message}\n${USAGE}`);
  const teamName = parsed.data.team;
  const userId = parsed.data['user-id'];

  const db = await openDatabase(loadConfig());
  try {
    const message = await db.withOwner(async (tx) => {
      const team = await findTeamByName(tx, teamName);
      if (!team) {
        const names = (await listTeamNames(tx)).map((t) => `"${t.name}"`).join(', ');
        throw new Refusal(`There is no team named "${teamName}"; nothing was changed.${names ? ` Teams: ${names}.` : ''}`);
      }
      if (team.composio_user_id === userId) return `Team "${team.name}" already syncs Composio user id ${userId}; nothing to change.`;
      const owner = await findTeamByComposioUserId(tx, userId);
      if (owner)
        throw new Refusal(
          `Composio user id ${userId} belongs to team "${owner.name}"; a team can only sync an id no other team has. Nothing was changed.`,
        );
      await setTeamComposioUserId(tx, team.id, userId);
      await recordAudit(tx, {
        teamId: team.id,
        action: 'composio.user_id_bound',
        target: userId,
        details: { previous: team.composio_user_id },
      });
      return [
        `Team "${team.name}" now syncs the Composio accounts of user id ${userId} (it was ${team.composio_user_id}).`,
        'Its next sync brings those accounts in; accounts of the old id then show as no longer in Composio.',
      ].join('\n');
    });
    console.log(message);
  } catch (error) {
    // Two operators binding the same id at once: the unique constraint decides.
    if (pgErrorCode(error) === '23505') throw new Refusal(`Composio user id ${userId} belongs to another team; nothing was changed.`);
    throw error;
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => endWithFailure(error, 'Could not bind the Composio user id'));
