import { txOf, type ReadOptions, type Row, type Tx } from '../../server/db';
import { readTogether } from '../../server/db/together';
import { listCalls, listTokens } from '../../server/assistant-access/queries';
import { listCatalogForAssistant } from '../../server/assistant-integrations/queries';
import { listRecentAudit } from '../../server/audit/queries';
import { listApiKeyIntegrationsWithKeys, listTeamIntegrations } from '../../server/connections/queries';
import { listToolSources } from '../../server/mcp/queries';
import { createUser, makeTestApp, type TestApp } from '../helpers/app';
import { seedTeamData } from '../helpers/fixtures';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

class RolledBack extends Error {}

/** The transaction with its statements sent one after another, as node-postgres wants them on one client. */
function oneAtATime(tx: Tx): Tx {
  let last: Promise<unknown> = Promise.resolve();
  return txOf(<T extends Row>(sql: string, params?: unknown[], options?: ReadOptions) => {
    const next = last.then(() => tx.query<T>(sql, params, options));
    last = next.catch(() => {});
    return next;
  });
}

/** The reads of the assistant page and the team page, the way the pages ask for them. */
const pageReads = (q: Tx, teamId: number, assistantId: number) =>
  [
    listCatalogForAssistant(q, teamId, assistantId, { withConnections: false }),
    listTokens(q, teamId, assistantId),
    listToolSources(q, { teamId, assistantId }),
    listCalls(q, teamId, assistantId, 20, null),
    listTeamIntegrations(q, teamId),
    listApiKeyIntegrationsWithKeys(q, teamId),
    listRecentAudit(q, teamId, 20),
    listCalls(q, teamId, -1, 20, null), // none
  ] as const;

describe('readTogether', () => {
  it('answers every read with the rows it gets alone, timestamps as Dates, in one statement', async () => {
    const user = await createUser(t.db);
    const { assistants } = await seedTeamData(t.db, user.teamId, 1);
    const assistantId = assistants[0]!;
    await t.db.withOwner(async (tx) => {
      await tx.query(
        `INSERT INTO assistant_tokens (team_id, assistant_id, name, token_hash, token_prefix, created_by, last_used_at, revoked_at)
         VALUES ($1, $2, 'live', repeat('a', 63) || $3, 'sb_a', $4, now() - interval '1 hour', NULL),
                ($1, $2, 'gone', repeat('b', 63) || $3, 'sb_b', $4, NULL, now() - interval '2 minutes')`,
        [user.teamId, assistantId, (user.userId % 10).toString(), user.userId],
      );
      await tx.query(
        `INSERT INTO mcp_tool_calls (team_id, assistant_id, token_name, tool, outcome, reason, duration_ms, created_at)
         SELECT $1, $2, 'live', 'TOOL_' || g, CASE WHEN g % 2 = 0 THEN 'success' ELSE 'refused' END, NULL, g, now() - (g || ' seconds')::interval
           FROM generate_series(1, 25) g`,
        [user.teamId, assistantId],
      );
      await tx.query(
        `INSERT INTO audit_events (team_id, user_id, action, target, details) VALUES ($1, $2, 'api_key.added', 'key 1 (Seed)', '{"n": 1}')`,
        [user.teamId, user.userId],
      );
      await tx.query('UPDATE teams SET last_synced_at = now() WHERE id = $1', [user.teamId]);
    });

    // The toolkit tables are shared by every team: this part is rolled back.
    const outcome = t.db.withOwner(async (tx) => {
      await tx.query(
        `WITH kit AS (SELECT i.tools_toolkit AS toolkit FROM assistant_integrations pi JOIN integrations i ON i.id = pi.integration_id
                       WHERE pi.assistant_id = $1 AND i.tools_toolkit IS NOT NULL ORDER BY i.id LIMIT 1),
              fetched AS (INSERT INTO composio_toolkit_fetches (toolkit, fetched_at) SELECT toolkit, now() FROM kit
                          ON CONFLICT (toolkit) DO UPDATE SET fetched_at = now())
         INSERT INTO composio_tools (toolkit, slug, name, description, input_schema, position)
         SELECT toolkit, 'READ_TOGETHER_TOOL', 'Tool', 'A tool', '{"type": "object"}', 0 FROM kit ON CONFLICT DO NOTHING`,
        [assistantId],
      );
      await tx.query(`SELECT set_config('role', 'switchboard_app', true), set_config('app.user_id', $1, true)`, [String(user.userId)]);
      const alone = await Promise.all(pageReads(oneAtATime(tx), user.teamId, assistantId));
      const before = t.statements.length;
      const together = await readTogether(tx, (batch) => pageReads(batch, user.teamId, assistantId));
      expect(t.statements.length - before).toBe(1);

      expect(together).toEqual(alone);
      const [catalog, tokens, sources, calls, providers, apiKeys, audit, noCalls] = together;
      // The comparison above means something only if every kind of value is there.
      expect(catalog!.catalog.some((row) => row.added_id !== null && row.current_connection !== null)).toBe(true);
      expect(
        tokens.map((row) => [row.name, row.last_used_at instanceof Date, row.revoked_at instanceof Date, row.created_at instanceof Date]),
      ).toEqual([
        ['live', true, false, true],
        ['gone', false, true, true],
      ]);
      expect(sources.some((row) => row.fetched_at instanceof Date && row.tools.length > 0)).toBe(true);
      expect(calls).toHaveLength(21);
      expect(calls.every((row) => row.created_at instanceof Date)).toBe(true);
      expect(providers.some((row) => row.connected_at instanceof Date && row.last_synced_at instanceof Date)).toBe(true);
      expect(apiKeys.some((row) => row.keys.length > 0)).toBe(true);
      expect(audit[0]).toMatchObject({ action: 'api_key.added', details: { n: 1 } });
      expect(audit[0]!.created_at).toBeInstanceOf(Date);
      expect(noCalls).toEqual([]);
      throw new RolledBack();
    });
    await expect(outcome).rejects.toThrow(RolledBack);
  });

  it('applies row-level security to every read', async () => {
    const a = await createUser(t.db);
    const b = await createUser(t.db);
    await seedTeamData(t.db, b.teamId, 1);
    const [mine, theirs] = await t.db.withUser(a.userId, (tx) =>
      readTogether(tx, (batch) => [
        batch.query('SELECT DISTINCT team_id FROM api_key_connections'),
        listApiKeyIntegrationsWithKeys(batch, b.teamId),
      ]),
    );
    expect(mine).toEqual([]);
    expect(theirs.every((row) => row.key_count === 0 && row.keys.length === 0)).toBe(true);
  });

  it('refuses a read that waits for another read of the same batch', async () => {
    const a = await createUser(t.db);
    const dependent = t.db.withUser(a.userId, (tx) =>
      readTogether(tx, (batch) => [batch.query('SELECT 1 AS one').then(() => batch.query('SELECT 2 AS two'))]),
    );
    await expect(dependent).rejects.toThrow(/after its batch was sent/);
  });
});
