import fs from 'node:fs';
import { migrate } from '../../server/db/migrate';
import { MIGRATIONS, onEmbeddedDatabase, onNewServerDatabase, runMigrations, withClient } from '../helpers/migrations';
import { itOnPostgres } from '../helpers/postgres-only';

const RENAME = '1764700000000_assistant-names.sql';
const TOKEN_HASH = 'a'.repeat(64);

/** The schema as it was before the rename: every migration before it, then one team's assistant with all its rows. */
const ALL_MIGRATIONS = fs
  .readdirSync(MIGRATIONS)
  .filter((f) => f.endsWith('.sql'))
  .sort();

async function seedOldSchema(url: string): Promise<{ teamId: number; assistantId: number }> {
  const before = ALL_MIGRATIONS.indexOf(RENAME);
  expect(before).toBeGreaterThan(0);
  await runMigrations(url, 'up', before);
  return withClient(url, async (c) => {
    const {
      rows: [ids],
    } = await c.query<{ team_id: number; user_id: number; assistant_id: number }>(
      `WITH t AS (INSERT INTO teams (name) VALUES ('Old team') RETURNING id),
            u AS (INSERT INTO users (email, password_hash) VALUES ('old@example.com', 'x') RETURNING id),
            tu AS (INSERT INTO team_users (team_id, user_id, role) SELECT t.id, u.id, 'admin' FROM t, u),
            p AS (INSERT INTO prompts (team_id, name, description) SELECT id, 'Old assistant', 'kept' FROM t RETURNING id, team_id)
       SELECT p.team_id, u.id AS user_id, p.id AS assistant_id FROM p, u`,
    );
    const { team_id: teamId, user_id: userId, assistant_id: assistantId } = ids!;
    await c.query(
      `INSERT INTO prompt_integration (team_id, prompt_id, integration_id, allowed_tools)
       SELECT $1, $2, id, '{CALCULATE}' FROM integrations WHERE slug = 'calculator'`,
      [teamId, assistantId],
    );
    await c.query(
      `INSERT INTO assistant_tokens (team_id, prompt_id, name, token_hash, token_prefix, created_by)
       VALUES ($1, $2, 'Laptop', $3, 'sb_aaaa', $4)`,
      [teamId, assistantId, TOKEN_HASH, userId],
    );
    await c.query(
      `INSERT INTO mcp_tool_calls (team_id, prompt_id, token_name, tool, outcome, duration_ms) VALUES ($1, $2, 'Laptop', 'CALCULATE', 'success', 3)`,
      [teamId, assistantId],
    );
    await c.query(
      `INSERT INTO connect_states (state_hash, team_id, user_id, session_hash, integration_id, composio_account_id, prompt_id, expires_at)
       SELECT 'state', $1, $3, 'session', id, 'ca_1', $2, now() + interval '10 minutes' FROM integrations WHERE slug = 'gmail'`,
      [teamId, assistantId, userId],
    );
    return { teamId, assistantId };
  });
}

async function checkMigration(url: string): Promise<void> {
  const { teamId, assistantId } = await seedOldSchema(url);
  await migrate(url);

  await withClient(url, async (c) => {
    const read = async (sql: string) => (await c.query(sql)).rows;
    expect(await read('SELECT id, team_id, name, description FROM assistants')).toEqual([
      { id: assistantId, team_id: teamId, name: 'Old assistant', description: 'kept' },
    ]);
    expect(await read('SELECT assistant_id, allowed_tools FROM assistant_integrations')).toEqual([
      { assistant_id: assistantId, allowed_tools: ['CALCULATE'] },
    ]);
    expect(await read('SELECT assistant_id, name FROM assistant_tokens')).toEqual([{ assistant_id: assistantId, name: 'Laptop' }]);
    expect(await read('SELECT assistant_id, tool FROM mcp_tool_calls')).toEqual([{ assistant_id: assistantId, tool: 'CALCULATE' }]);
    expect(await read('SELECT assistant_id FROM connect_states')).toEqual([{ assistant_id: assistantId }]);

    // No table, column, sequence, index, constraint, policy or function keeps the old word.
    const leftovers = await read(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname ~ 'prompt'
       UNION ALL SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conname ~ 'prompt'
       UNION ALL SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name ~ 'prompt'
       UNION ALL SELECT policyname FROM pg_policies WHERE policyname ~ 'prompt' OR qual ~ 'prompt' OR with_check ~ 'prompt'
       UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND (proname ~ 'prompt' OR prosrc ~ 'prompt')`,
    );
    expect(leftovers).toEqual([]);

    // The identity sequence carries on after the existing rows.
    const next = await c.query<{ id: number }>("INSERT INTO assistants (team_id, name) VALUES ($1, 'New assistant') RETURNING id", [
      teamId,
    ]);
    expect(next.rows[0]!.id).toBeGreaterThan(assistantId);

    // The foreign keys still hold: deleting the assistant takes its rows with it.
    await c.query('BEGIN');
    await c.query('DELETE FROM assistants WHERE id = $1', [assistantId]);
    const counts = await c.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM assistant_integrations) + (SELECT count(*) FROM assistant_tokens)
            + (SELECT count(*) FROM connect_states) AS n`,
    );
    expect(Number(counts.rows[0]!.n)).toBe(0);
    await c.query('ROLLBACK');

    // The MCP role: authenticates the old token against the assistant and sees only that assistant
    // and its integrations, under the renamed policies and the remade functions.
    await c.query('BEGIN');
    await c.query(
      "SELECT set_config('role', 'switchboard_mcp', true), set_config('app.mcp_team_id', $1, true), set_config('app.mcp_assistant_id', $2, true)",
      [String(teamId), String(assistantId)],
    );
    const auth = await c.query('SELECT team_id, assistant_id, token_name, calls_in_window FROM mcp_authenticate($1, $2, 1)', [
      TOKEN_HASH,
      assistantId,
    ]);
    expect(auth.rows).toEqual([{ team_id: teamId, assistant_id: assistantId, token_name: 'Laptop', calls_in_window: 1 }]);
    expect(await read('SELECT id FROM assistants')).toEqual([{ id: assistantId }]);
    expect(await read('SELECT assistant_id FROM assistant_integrations')).toEqual([{ assistant_id: assistantId }]);
    await c.query(
      "INSERT INTO mcp_tool_calls (team_id, assistant_id, token_name, tool, outcome, duration_ms) VALUES ($1, $2, 'Laptop', 'CALCULATE', 'success', 1)",
      [teamId, assistantId],
    );
    await c.query('ROLLBACK');

    // The app role under row-level security: its own team's assistants, nobody else's.
    await c.query('BEGIN');
    const user = await c.query<{ id: number }>("SELECT id FROM users WHERE email = 'old@example.com'");
    await c.query("SELECT set_config('role', 'switchboard_app', true), set_config('app.user_id', $1, true)", [String(user.rows[0]!.id)]);
    expect((await read('SELECT name FROM assistants ORDER BY id')).map((r) => r.name)).toEqual(['Old assistant', 'New assistant']);
    await c.query("UPDATE assistants SET name = 'Renamed' WHERE id = $1", [assistantId]);
    await c.query("SELECT set_config('app.user_id', '', true)");
    expect(await read('SELECT id FROM assistants')).toEqual([]);
    await c.query('ROLLBACK');
  });

  // And back: the down migration restores the old names with the rows (after the later ones').
  await runMigrations(url, 'down', ALL_MIGRATIONS.length - ALL_MIGRATIONS.indexOf(RENAME));
  await withClient(url, async (c) => {
    expect((await c.query('SELECT prompt_id FROM prompt_integration')).rows).toEqual([{ prompt_id: assistantId }]);
    expect((await c.query('SELECT prompt_id FROM mcp_tool_calls')).rows).toEqual([{ prompt_id: assistantId }]);
    expect((await c.query("SELECT name FROM prompts WHERE name = 'Old assistant'")).rows).toHaveLength(1);
    const newNames = await c.query(
      `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname ~ '^assistants|^assistant_integrations|assistant_idx'
       UNION ALL SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conname ~ '^assistants_|^assistant_integrations_|assistant_id'
       UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND (proname ~ 'assistant' OR prosrc ~ 'assistant_id')`,
    );
    expect(newNames.rows).toEqual([]);
  });
}

describe('migration: assistants are called assistants in the database', () => {
  it('on the embedded database: every row survives, the roles and policies still work, and it goes back down', async () => {
    await onEmbeddedDatabase('switchboard-migrate-names-', checkMigration);
  }, 60_000);

  // CI always runs it: .ci/run sets TEST_DATABASE_URL.
  itOnPostgres('on PostgreSQL: the same', async () => {
    await onNewServerDatabase('switchboard_migrate_names', checkMigration);
  });
});
