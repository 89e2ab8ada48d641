import type { Config } from '../config';
import type { Database } from '../db';
import { DEMO_EMAIL } from '../seed';
import { countUsers } from './queries';

/** The line every start prints: where the app is and who can sign in. It never holds a password. */
export async function startupLine(db: Database, config: Config, url: string): Promise<string> {
  const counts = await db.withOwner((tx) => countUsers(tx, DEMO_EMAIL));
  return `Switchboard is running at ${url} — ${whoCanSignIn(counts, config)}`;
}

export function whoCanSignIn(counts: { users: number; demo: boolean }, config: Pick<Config, 'isProduction' | 'demoPassword'>): string {
  const userCreate = config.isProduction ? 'node dist/server/cli/user-create.js' : 'npm run user:create';
  if (counts.users === 0) {
    return `nobody can sign in yet: add someone with ${userCreate}${config.isProduction ? '' : ' --'} --email you@example.com --team "Your team" --role admin --password '...'`;
  }
  if (counts.demo && !config.isProduction) {
    const password = config.demoPassword
      ? 'password from DEMO_PASSWORD'
      : `password printed at its first start; to choose another: npm run user:password -- --email ${DEMO_EMAIL}`;
    const others = counts.users - 1;
    return `sign in as ${DEMO_EMAIL} (${password})${others > 0 ? `, or as one of ${others} other ${others === 1 ? 'user' : 'users'}` : ''}`;
  }
  return `${counts.users} ${counts.users === 1 ? 'user' : 'users'} can sign in; add one with ${userCreate}`;
}
