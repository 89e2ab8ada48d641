import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { declareLocals, renderView } from '../../server/http/templates';

/** Templates compile without `with`; each file first declares, from `locals`, the names its code reads. */

describe('declareLocals', () => {
  it("declares the names code tags read, and not words in strings, properties, comments, globals or EJS's own", () => {
    const out = declareLocals(
      `<%# a comment naming commentWord %><h1><%= title %></h1><% if (team.isAdmin) { %><%- include('/partials/x', { row: row }) %><% } %>` +
        `<%= 'inString' + "alsoInString" %><%= Math.round(count) %><% var mine = 1; items.forEach(function (item) { %><%= item.label %><% }) %>` +
        `<%% literal %%><%= locals.optional ? 1 : 0 %>`,
    );
    const declared = /^<% var (.*?); %>/
      .exec(out)![1]!
      .split(', ')
      .map((d) => d.split(' = ')[0]);
    expect(declared.sort()).toEqual(['count', 'item', 'items', 'mine', 'row', 'team', 'title']);
    expect(out).toContain('title = locals.title');
  });

  it('leaves a template without code as it is', () => {
    expect(declareLocals('<p>Static</p><%# only a comment %>')).toBe('<p>Static</p><%# only a comment %>');
  });
});

describe('rendering without with', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-views-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const render = (name: string, source: string, data: object) => {
    fs.writeFileSync(path.join(dir, `${name}.ejs`), source);
    return new Promise<string>((resolve, reject) =>
      renderView(dir, false)(path.join(dir, `${name}.ejs`), data, (error, html) => (error ? reject(error) : resolve(html!))),
    );
  };

  it('reads locals by name, optional ones through locals, and passes them to includes', async () => {
    fs.writeFileSync(path.join(dir, '_child.ejs'), '[<%= label %>/<%= team.name %>]');
    const html = await render(
      'page',
      `<%= team.name %>:<%= locals.missing ? 'yes' : 'no' %>:<% ['a', 'b'].forEach(function (label) { %><%- include('/_child', { label: label }) %><% }) %>`,
      { team: { name: 'Acme' } },
    );
    expect(html).toBe('Acme:no:[a/Acme][b/Acme]');
  });

  it('escapes as before, and a variable the template declares wins over a local of the same name', async () => {
    const html = await render('shadow', `<% var title = 'Own <b>'; %><%= title %>|<%- raw %>`, { title: 'From locals', raw: '<i>ok</i>' });
    expect(html).toBe('Own &lt;b&gt;|<i>ok</i>');
  });
});
