import { createApp } from '../../server/app';
import { listCatalogForAssistant } from '../../server/assistant-integrations/queries';
import { txOf, type Database, type ReadOptions, type Row, type Tx } from '../../server/db';
import { createLogger } from '../../server/logger';
import { createAssistant, createUser, makeTestApp, signIn, testConfig, type TestApp } from '../helpers/app';
import { freshDatabase, type FreshDatabase } from '../helpers/fresh-database';

/**
 * The catalog's text (labels, descriptions, icons, categories) is kept in the process by the
 * catalog's stamp, and the assistant page's read sends it only when the stamp has moved
 * (migrations/1765000000000_catalog-stamp.sql, docs/decisions/030-catalog-kept-in-the-process.md).
 * These tests change the catalog, so they run on a database of their own.
 */
let fresh: FreshDatabase;
let shared: TestApp;
beforeAll(async () => {
  fresh = await freshDatabase();
  shared = makeTestApp();
});
afterAll(async () => {
  await shared.close();
  await fresh.drop();
});

/** The transaction as it is, noting the catalog text each read of the catalog brought back (null: none). */
function noting(tx: Tx, sent: (unknown[] | null)[]): Tx {
  return txOf(async <T extends Row>(sql: string, params?: unknown[], options?: ReadOptions) => {
    const rows = await tx.query<T>(sql, params, options);
    if (rows[0] && 'catalog' in rows[0]) sent.push(rows[0].catalog as unknown[] | null);
    return rows;
  });
}

async function stamp(db: Database): Promise<string> {
  return (await db.withOwner((tx) => tx.one<{ stamp: string }>('SELECT stamp FROM catalog_stamp'))).stamp;
}

describe('the catalog kept in the process', () => {
  it('is sent once for a stamp, and again with its changes after every change to the catalog', () =>
    fresh.use(async (db) => {
      const user = await createUser(db);
      const assistant = await createAssistant(db, user.teamId);
      const sent: (unknown[] | null)[] = [];
      const list = (withConnections = false) =>
        db.withUser(
          user.userId,
          async (tx) => (await listCatalogForAssistant(noting(tx, sent), user.teamId, assistant.id, { withConnections }))!,
        );
      const bySlug = (catalog: { slug: string }[], slug: string) => catalog.find((entry) => entry.slug === slug);

      const first = await list();
      const size = (await db.withOwner((tx) => tx.one<{ n: number }>('SELECT count(*)::int AS n FROM integrations'))).n;
      expect(sent).toHaveLength(1);
      expect(sent[0]).toHaveLength(size);
      expect(first.catalog).toHaveLength(size);
      expect(bySlug(first.catalog, 'github')).toMatchObject({ label: 'GitHub', auth: 'api_key_or_oauth2', added_id: null });

      // The same stamp: nothing sent, the same catalog, for both kinds of read.
      expect(await list()).toEqual(first);
      expect(sent[1]).toBeNull();
      const withConnections = await list(true);
      expect(sent[2]).toBeNull();
      expect(withConnections.catalog.map(({ connections: _, ...rest }) => rest)).toEqual(
        first.catalog.map(({ connections: _, ...rest }) => rest),
      );

      // Each kind of change moves the stamp, in the same transaction, and the next read sends the text again.
      let before = await stamp(db);
      await db.withOwner((tx) =>
        tx.query("UPDATE integrations SET label = 'GitHub Enterprise', description = 'Renamed.' WHERE slug = 'github'"),
      );
      expect(await stamp(db)).not.toBe(before);
      const renamed = await list();
      expect(sent.at(-1)).toHaveLength(size);
      expect(bySlug(renamed.catalog, 'github')).toMatchObject({ label: 'GitHub Enterprise', description: 'Renamed.' });
      expect(await list()).toEqual(renamed);
      expect(sent.at(-1)).toBeNull();

      before = await stamp(db);
      await db.withOwner((tx) =>
        tx.query(
          `INSERT INTO integrations (slug, label, icon, category, category_position, position, description, auth)
           VALUES ('kept_test', 'Kept & <tested>', 'Kt', 'More tools', 99, 1, 'Added while the app runs.', 'none')`,
        ),
      );
      expect(await stamp(db)).not.toBe(before);
      const added = await list();
      expect(added.catalog).toHaveLength(size + 1);
      expect(added.catalog.at(-1)).toMatchObject({ slug: 'kept_test', label: 'Kept & <tested>', description: 'Added while the app runs.' });

      before = await stamp(db);
      await db.withOwner((tx) => tx.query("DELETE FROM integrations WHERE slug = 'kept_test'"));
      expect(await stamp(db)).not.toBe(before);
      expect((await list()).catalog).toHaveLength(size);

      // A statement that changes no catalog row still moves it (statement-level): text sent once more, harmless.
      before = await stamp(db);
      await db.withOwner((tx) => tx.query("UPDATE integrations SET label = label WHERE slug = 'no_such_integration'"));
      expect(await stamp(db)).not.toBe(before);
      // Changes elsewhere do not.
      before = await stamp(db);
      await createAssistant(db, user.teamId);
      expect(await stamp(db)).toBe(before);
    }));

  it("keeps each database's catalog apart: the same process reads both right", () =>
    fresh.use(async (db) => {
      await db.withOwner((tx) => tx.query("UPDATE integrations SET label = 'Only in the fresh database' WHERE slug = 'notion'"));
      const mine = await createUser(db);
      const myAssistant = await createAssistant(db, mine.teamId);
      const theirs = await createUser(shared.db);
      const theirAssistant = await createAssistant(shared.db, theirs.teamId);
      const notion = async (database: Database, user: { userId: number; teamId: number }, assistantId: number) =>
        (await database.withUser(user.userId, (tx) =>
          listCatalogForAssistant(tx, user.teamId, assistantId, { withConnections: false }),
        ))!.catalog.find((entry) => entry.slug === 'notion')!.label;
      for (let round = 0; round < 2; round++) {
        expect(await notion(db, mine, myAssistant.id)).toBe('Only in the fresh database');
        expect(await notion(shared.db, theirs, theirAssistant.id)).toBe('Notion');
      }
    }));

  it('only the table owner writes the stamp', () =>
    fresh.use(async (db) => {
      const user = await createUser(db);
      const before = await stamp(db);
      await expect(db.withUser(user.userId, (tx) => tx.query('UPDATE catalog_stamp SET stamp = gen_random_uuid()'))).rejects.toThrow(
        /permission denied/,
      );
      await expect(db.withUser(user.userId, (tx) => tx.query("UPDATE integrations SET label = 'x' WHERE slug = 'github'"))).rejects.toThrow(
        /permission denied/,
      );
      expect(await stamp(db)).toBe(before);
      // It may read it, as it reads the catalog.
      expect(await db.withUser(user.userId, (tx) => tx.one<{ stamp: string }>('SELECT stamp FROM catalog_stamp'))).toEqual({
        stamp: before,
      });
    }));

  it('a person sees a catalog change on the next page, in the HTML and in JSON', () =>
    fresh.use(async (db) => {
      const app = createApp({ config: testConfig(), db, logger: createLogger('silent'), composio: null });
      const user = await createUser(db);
      const assistant = await createAssistant(db, user.teamId);
      const session = await signIn(app, user);
      const page = `/app/team/${user.teamId}/assistant/${assistant.id}/integrations`;
      const json = async () =>
        (await session.agent.get(page).set('Accept', 'application/json').expect(200)).body as {
          integrations: { slug: string; label: string }[];
        };
      expect((await json()).integrations.find((i) => i.slug === 'linear')!.label).toBe('Linear');
      expect((await session.agent.get(page).expect(200)).text).not.toContain('Linear &amp; friends');

      await db.withOwner((tx) => tx.query("UPDATE integrations SET label = 'Linear & friends' WHERE slug = 'linear'"));
      expect((await json()).integrations.find((i) => i.slug === 'linear')!.label).toBe('Linear & friends');
      expect((await session.agent.get(page).expect(200)).text).toContain('Linear &amp; friends');
    }));
});
