import { migrate } from '../../server/db/migrate';
import { createAssistant, createUser, makeTestApp, testDatabaseUrl, type TestApp } from '../helpers/app';
import { addTeamMember } from '../helpers/fixtures';
import { migrationsAfter, onEmbeddedDatabase, onNewServerDatabase, runMigrations, withClient } from '../helpers/migrations';
import { itOnPostgres } from '../helpers/postgres-only';

/**
 * The acting user's teams are read once per transaction, where the acting user is set, and the
 * policies use them (docs/decisions/024-team-ids-per-transaction.md).
 */
let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

describe("the acting user's teams, once per transaction", () => {
  it('are the teams the user belongs to, and the policies show exactly those', async () => {
    const a = await createUser(t.db);
    const b = await createUser(t.db);
    const c = await createUser(t.db);
    await addTeamMember(t.db, b.teamId, a.userId);
    // Numerically: the default sort compares as text, and puts team 100 before team 97.
    const ascending = (x: number, y: number) => x - y;
    const teamIds = (setting: string) => setting.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number).sort(ascending);

    const seen = await t.db.withUser(a.userId, async (tx) => ({
      setting: (await tx.one<{ s: string }>("SELECT current_setting('app.team_ids') AS s")).s,
      teams: (await tx.query<{ id: number }>('SELECT id FROM teams ORDER BY id')).map((r) => r.id),
    }));
    expect(teamIds(seen.setting)).toEqual([a.teamId, b.teamId].sort(ascending));
    expect(seen.teams).toEqual([a.teamId, b.teamId].sort(ascending));
    expect(seen.teams).not.toContain(c.teamId);
  });

  it('of a user in no team are none, and nothing is visible', async () => {
    const a = await createUser(t.db);
    await createAssistant(t.db, a.teamId);
    await t.db.withOwner((tx) => tx.query('DELETE FROM team_users WHERE user_id = $1', [a.userId]));
    const seen = await t.db.withUser(a.userId, async (tx) => ({
      setting: (await tx.one<{ s: string }>("SELECT current_setting('app.team_ids') AS s")).s,
      assistants: await tx.query('SELECT id FROM assistants'),
    }));
    expect(seen).toEqual({ setting: '{}', assistants: [] });
  });

  it('come from team_users when a transaction sets only the acting user', async () => {
    const a = await createUser(t.db);
    const b = await createUser(t.db);
    await createAssistant(t.db, a.teamId, 'Mine');
    await createAssistant(t.db, b.teamId, 'Theirs');
    const names = await withClient(testDatabaseUrl(), async (client) => {
      await client.query('BEGIN');
      try {
        await client.query("SELECT set_config('role', 'switchboard_app', true), set_config('app.user_id', $1, true)", [String(a.userId)]);
        return (await client.query<{ name: string }>('SELECT name FROM assistants')).rows.map((r) => r.name);
      } finally {
        await client.query('ROLLBACK');
      }
    });
    expect(names).toEqual(['Mine']);
  });

  it('reach the policies through a function PostgreSQL can inline (neither SECURITY DEFINER nor SET)', async () => {
    const fn = await t.db.withOwner((tx) =>
      tx.one<{ prosecdef: boolean; proconfig: string[] | null }>(
        "SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'app_user_team_ids' AND pronamespace = 'public'::regnamespace",
      ),
    );
    expect(fn).toEqual({ prosecdef: false, proconfig: null });
  });
});

describe('migration: team ids per transaction', () => {
  async function check(url: string): Promise<void> {
    await migrate(url);
    const definition = () =>
      withClient(
        url,
        async (c) => (await c.query<{ prosecdef: boolean }>("SELECT prosecdef FROM pg_proc WHERE proname = 'app_user_team_ids'")).rows,
      );
    expect(await definition()).toEqual([{ prosecdef: false }]);
    // Down past this migration and every one after it.
    const count = migrationsAfter('1764800000000') + 1;
    await runMigrations(url, 'down', count);
    // The function of 009 again: SECURITY DEFINER, reading team_users; its helper is gone.
    expect(await definition()).toEqual([{ prosecdef: true }]);
    const helper = await withClient(
      url,
      async (c) => (await c.query("SELECT 1 FROM pg_proc WHERE proname = 'app_user_team_ids_in_team_users'")).rows,
    );
    expect(helper).toEqual([]);
    await runMigrations(url, 'up', count);
    expect(await definition()).toEqual([{ prosecdef: false }]);
  }

  it('goes up and down on the embedded database', () => onEmbeddedDatabase('switchboard-team-ids-', check), 120_000);
  itOnPostgres('goes up and down on PostgreSQL', () => onNewServerDatabase('switchboard_team_ids', check), 120_000);
});
