import { actForAssistant, type AssistantScope } from '../../server/mcp/queries';
import { createAssistant, createUser, makeTestApp, type TestApp } from '../helpers/app';
import { createApiKeyConnection } from '../helpers/fixtures';
import type { Tx } from '../../server/db';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

/** Runs fn the way an MCP request does: as switchboard_mcp, acting for one assistant (or none). */
function asMcp<T>(scope: AssistantScope | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return t.db.withOwner(async (tx) => {
    await actForAssistant(tx, scope);
    return fn(tx);
  });
}

describe('row-level security for MCP requests', () => {
  it('shows one assistant, its integrations and its team’s connections, and nothing of other teams or assistants', async () => {
    const a = await createUser(t.db);
    const b = await createUser(t.db);
    const mine = await createAssistant(t.db, a.teamId);
    const sibling = await createAssistant(t.db, a.teamId);
    await createAssistant(t.db, b.teamId);
    await createApiKeyConnection(t.db, a.teamId, 'tavily');
    await createApiKeyConnection(t.db, b.teamId, 'tavily');
    await t.db.withOwner((tx) =>
      tx.query(
        `INSERT INTO assistant_integrations (team_id, assistant_id, integration_id) SELECT $1, p, id FROM integrations, unnest($2::int[]) AS p WHERE slug = 'calculator'`,
        [a.teamId, [mine.id, sibling.id]],
      ),
    );
    const scope = { teamId: a.teamId, assistantId: mine.id };
    const seen = await asMcp(scope, async (tx) => ({
      assistants: await tx.query<{ id: number }>('SELECT id FROM assistants'),
      added: await tx.query<{ assistant_id: number }>('SELECT assistant_id FROM assistant_integrations'),
      keys: await tx.query<{ team_id: number }>('SELECT team_id FROM api_key_connections'),
      teams: await tx.query<{ id: number }>('SELECT id FROM teams'),
    }));
    expect(seen.assistants.map((r) => r.id)).toEqual([mine.id]);
    expect(seen.added.map((r) => r.assistant_id)).toEqual([mine.id]);
    expect(new Set(seen.keys.map((r) => r.team_id))).toEqual(new Set([a.teamId]));
    expect(seen.teams.map((r) => r.id)).toEqual([a.teamId]);
    expect(await asMcp(null, (tx) => tx.query('SELECT id FROM assistants'))).toEqual([]);
  });

  it('cannot change team data, read tokens, or record a call for another team', async () => {
    const a = await createUser(t.db);
    const b = await createUser(t.db);
    const mine = await createAssistant(t.db, a.teamId);
    const scope = { teamId: a.teamId, assistantId: mine.id };
    await expect(
      asMcp(scope, (tx) => tx.query("INSERT INTO assistants (team_id, name) VALUES ($1, 'Planted')", [a.teamId])),
    ).rejects.toThrow(/permission denied/);
    await expect(asMcp(scope, (tx) => tx.query('DELETE FROM assistant_integrations'))).rejects.toThrow(/permission denied/);
    await expect(asMcp(scope, (tx) => tx.query('SELECT token_hash FROM assistant_tokens'))).rejects.toThrow(/permission denied/);
    await expect(
      asMcp(scope, (tx) =>
        tx.query(
          "INSERT INTO mcp_tool_calls (team_id, assistant_id, token_name, tool, outcome, duration_ms) VALUES ($1, $2, 'x', 'T', 'success', 1)",
          [b.teamId, mine.id],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    await asMcp(scope, (tx) =>
      tx.query(
        "INSERT INTO mcp_tool_calls (team_id, assistant_id, token_name, tool, outcome, duration_ms) VALUES ($1, $2, 'x', 'T', 'success', 1)",
        [a.teamId, mine.id],
      ),
    );
  });
});
