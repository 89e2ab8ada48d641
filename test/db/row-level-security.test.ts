import { createAssistant, createUser, makeTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

const countAssistants = (teamId: number) =>
  t.db.withOwner((tx) => tx.one<{ n: number }>('SELECT count(*)::int AS n FROM assistants WHERE team_id = $1', [teamId])).then((r) => r.n);

describe('row-level security', () => {
  it('confines an unscoped DELETE FROM assistants run as user A to A’s teams', async () => {
    const a = await createUser(t.db);
    const b = await createUser(t.db);
    await createAssistant(t.db, a.teamId);
    await createAssistant(t.db, a.teamId);
    await createAssistant(t.db, b.teamId);

    // No WHERE clause at all: only the policy stands between user A and team B's rows.
    const deleted = await t.db.withUser(a.userId, (tx) => tx.query<{ team_id: number }>('DELETE FROM assistants RETURNING team_id'));

    expect(deleted.length).toBeGreaterThanOrEqual(2);
    expect(new Set(deleted.map((r) => r.team_id))).toEqual(new Set([a.teamId]));
    expect(await countAssistants(a.teamId)).toBe(0);
    expect(await countAssistants(b.teamId)).toBe(1);
  });

  it('hides other teams’ rows from unscoped reads and refuses writes into them', async () => {
    const a = await createUser(t.db);
    const b = await createUser(t.db);
    await createAssistant(t.db, b.teamId, 'Hidden');
    const visible = await t.db.withUser(a.userId, (tx) => tx.query<{ team_id: number }>('SELECT team_id FROM assistants'));
    expect(visible.every((r) => r.team_id !== b.teamId)).toBe(true);
    const teams = await t.db.withUser(a.userId, (tx) => tx.query<{ id: number }>('SELECT id FROM teams'));
    expect(teams.map((r) => r.id)).toEqual([a.teamId]);
    await expect(
      t.db.withUser(a.userId, (tx) => tx.query("INSERT INTO assistants (team_id, name) VALUES ($1, 'Planted')", [b.teamId])),
    ).rejects.toThrow(/row-level security/);
    expect(await countAssistants(b.teamId)).toBe(1);
  });

  it('applies to the read sent in the same round trip as BEGIN', async () => {
    const a = await createUser(t.db);
    await createUser(t.db);
    // As the table owner this would list every team; the role and the acting user are set first.
    const seen = await t.db.withUserReading<{ id: number; role: string }, { id: number; role: string }[]>(
      a.userId,
      'SELECT id, current_user AS role FROM teams',
      async (_tx, rows) => rows,
    );
    expect(seen).toEqual([{ id: a.teamId, role: 'switchboard_app' }]);
    // The simple protocol takes no parameters, and one read is one statement.
    await expect(t.db.withUserReading(a.userId, 'SELECT $1', async () => null)).rejects.toThrow(TypeError);
    await expect(t.db.withUserReading(a.userId, 'SELECT 1; SELECT 2', async () => null)).rejects.toThrow(TypeError);
  });

  it('sees nothing without an acting user', async () => {
    await createUser(t.db);
    const rows = await t.db.withOwner(async (tx) => {
      await tx.query(`SELECT set_config('role', 'switchboard_app', true)`);
      return tx.query('SELECT id FROM teams');
    });
    expect(rows).toEqual([]);
  });

  it('keeps the acting user inside the transaction', async () => {
    const a = await createUser(t.db);
    await t.db.withUser(a.userId, (tx) => tx.query('SELECT 1'));
    const after = await t.db.withOwner((tx) =>
      tx.one<{ user: string | null; role: string }>(`SELECT current_setting('app.user_id', true) AS user, current_user AS role`),
    );
    expect(after.user ?? '').toBe('');
    expect(after.role).not.toBe('switchboard_app');
  });
});
