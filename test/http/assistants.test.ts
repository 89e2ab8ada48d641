import { createAssistant, createUser, flashText, makeTestApp, signIn, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(() => {
  t = makeTestApp();
});
afterAll(() => t.close());

const namesOf = (teamId: number) =>
  t.db
    .withOwner((tx) => tx.query<{ name: string }>('SELECT name FROM assistants WHERE team_id = $1 ORDER BY name', [teamId]))
    .then((rows) => rows.map((r) => r.name));

describe('assistants page', () => {
  it('lists, creates, renames and deletes assistants with a flash after each change', async () => {
    const user = await createUser(t.db);
    const { agent, csrf } = await signIn(t.app, user);
    const base = `/app/team/${user.teamId}/assistants`;

    const created = await agent.post(base).type('form').send({ name: 'Sales Assistant', description: 'Follow-ups', _csrf: csrf });
    expect(created.status).toBe(303);
    expect(created.headers.location).toBe(base);
    const page = await agent.get(base);
    expect(flashText(page.text)).toEqual(['Created Sales Assistant.']);
    expect(page.text).toContain('Follow-ups');
    expect(flashText((await agent.get(base)).text)).toEqual([]); // shown once

    const { id } = await t.db.withOwner((tx) => tx.one<{ id: number }>('SELECT id FROM assistants WHERE team_id = $1', [user.teamId]));
    const renamed = await agent.post(`${base}/${id}/edit`).type('form').send({ name: 'Deals Assistant', _csrf: csrf });
    expect(renamed.status).toBe(303);
    expect(await namesOf(user.teamId)).toEqual(['Deals Assistant']);

    const confirm = await agent.get(`${base}/${id}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Delete Deals Assistant?');
    const deleted = await agent.post(`${base}/${id}/delete`).type('form').send({ _csrf: csrf });
    expect(deleted.status).toBe(303);
    expect(flashText((await agent.get(base)).text)).toEqual(['Deleted Deals Assistant.']);
    expect(await namesOf(user.teamId)).toEqual([]);
  });

  it('answers JSON when asked', async () => {
    const user = await createUser(t.db);
    const assistant = await createAssistant(t.db, user.teamId, 'Json Assistant');
    const { agent } = await signIn(t.app, user);
    const res = await agent.get(`/app/team/${user.teamId}/assistants`).set('Accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.body.assistants).toEqual([
      { id: assistant.id, name: 'Json Assistant', description: '', integration_count: 0, needs_attention: 0 },
    ]);
  });

  it('refuses a blank name with 422 in words and creates nothing', async () => {
    const user = await createUser(t.db);
    const { agent, csrf } = await signIn(t.app, user);
    const res = await agent.post(`/app/team/${user.teamId}/assistants`).type('form').send({ name: '   ', _csrf: csrf });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Give the assistant a name.');
    expect(await namesOf(user.teamId)).toEqual([]);
  });

  it('answers ids that are not positive 32-bit integers with 400', async () => {
    const user = await createUser(t.db);
    const { agent, csrf } = await signIn(t.app, user);
    for (const bad of ['abc', '0', '-1', '2147483648', '1.5']) {
      expect((await agent.get(`/app/team/${bad}/assistants`)).status).toBe(400);
      expect((await agent.post(`/app/team/${user.teamId}/assistants/${bad}/delete`).type('form').send({ _csrf: csrf })).status).toBe(400);
    }
  });
});

describe('team isolation', () => {
  it('gives a member of team A 404 on every team B URL and changes nothing', async () => {
    const a = await createUser(t.db, { role: 'member' });
    const b = await createUser(t.db);
    const bAssistant = await createAssistant(t.db, b.teamId, 'B Secret Assistant');
    const { agent, csrf } = await signIn(t.app, a);
    const base = `/app/team/${b.teamId}/assistants`;

    const list = await agent.get(base);
    expect(list.status).toBe(404);
    expect(list.text).not.toContain('B Secret Assistant');
    expect((await agent.get(`${base}/${bAssistant.id}/edit`)).status).toBe(404);
    expect((await agent.post(base).type('form').send({ name: 'Intruder', _csrf: csrf })).status).toBe(404);
    expect((await agent.post(`${base}/${bAssistant.id}/edit`).type('form').send({ name: 'Hijacked', _csrf: csrf })).status).toBe(404);
    expect((await agent.post(`${base}/${bAssistant.id}/delete`).type('form').send({ _csrf: csrf })).status).toBe(404);
    // Team B's assistant through team A's URL: still 404.
    const viaOwnTeam = `/app/team/${a.teamId}/assistants/${bAssistant.id}`;
    expect((await agent.post(`${viaOwnTeam}/edit`).type('form').send({ name: 'Hijacked', _csrf: csrf })).status).toBe(404);
    expect((await agent.post(`${viaOwnTeam}/delete`).type('form').send({ _csrf: csrf })).status).toBe(404);

    expect(await namesOf(b.teamId)).toEqual(['B Secret Assistant']);
    expect(await namesOf(a.teamId)).toEqual([]);
  });

  it('shows the same 404 for a team that does not exist', async () => {
    const a = await createUser(t.db);
    const { agent } = await signIn(t.app, a);
    const res = await agent.get('/app/team/2147483000/assistants');
    expect(res.status).toBe(404);
  });
});
