import { migrate } from '../../server/db/migrate';
import { onEmbeddedDatabase, onNewServerDatabase, runMigrations, withClient } from '../helpers/migrations';
import { itOnPostgres } from '../helpers/postgres-only';

/** Teams that shared an id, and teams that used the server default, each get their own. */
async function checkMigration(url: string): Promise<void> {
  // The schema as it was before teams owned their Composio user id: only the first migration.
  await runMigrations(url, 'up', 1);
  await withClient(url, (c) =>
    c.query(`INSERT INTO teams (name, composio_user_id, created_at) VALUES
               ('Oldest', 'shared', '2026-01-01'), ('Younger', 'shared', '2026-02-01'), ('Youngest', 'shared', '2026-03-01'),
               ('Default', NULL, '2026-01-15'), ('Own', 'own-id', '2026-01-20')`),
  );
  await migrate(url);
  await withClient(url, async (c) => {
    const teams = Object.fromEntries(
      (await c.query<{ name: string; composio_user_id: string }>('SELECT name, composio_user_id FROM teams')).rows.map((r) => [
        r.name,
        r.composio_user_id,
      ]),
    );
    expect(teams.Oldest).toBe('shared');
    expect(teams.Own).toBe('own-id');
    for (const name of ['Younger', 'Youngest', 'Default']) expect(teams[name]).toMatch(/^sb_team_[0-9a-f]{32}$/);
    expect(new Set(Object.values(teams)).size).toBe(5);

    const audit = await c.query<{ name: string; action: string; target: string; details: Record<string, unknown> }>(
      'SELECT t.name, a.action, a.target, a.details FROM audit_events a JOIN teams t ON t.id = a.team_id ORDER BY t.name',
    );
    expect(audit.rows).toEqual([
      {
        name: 'Default',
        action: 'composio.user_id_assigned',
        target: teams.Default,
        details: { previous: null, reason: 'server_default' },
      },
      {
        name: 'Younger',
        action: 'composio.user_id_assigned',
        target: teams.Younger,
        details: { previous: 'shared', reason: 'shared_with_another_team' },
      },
      {
        name: 'Youngest',
        action: 'composio.user_id_assigned',
        target: teams.Youngest,
        details: { previous: 'shared', reason: 'shared_with_another_team' },
      },
    ]);
    const duplicate = await c
      .query("UPDATE teams SET composio_user_id = 'shared' WHERE name = 'Own'")
      .catch((error: { code?: string }) => error.code);
    expect(duplicate).toBe('23505');
    const created = await c.query<{ composio_user_id: string }>("INSERT INTO teams (name) VALUES ('New') RETURNING composio_user_id");
    expect(created.rows[0]!.composio_user_id).toMatch(/^sb_team_[0-9a-f]{32}$/);
  });
}

describe('migration: each team owns one Composio user id', () => {
  it('on the embedded database: the oldest team keeps a shared id, the others get fresh ones, audited', async () => {
    await onEmbeddedDatabase('switchboard-migrate-ids-', checkMigration);
  });

  // CI always runs it: .ci/run sets TEST_DATABASE_URL.
  itOnPostgres('on PostgreSQL: the same', async () => {
    await onNewServerDatabase('switchboard_migrate_ids', checkMigration);
  });
});
