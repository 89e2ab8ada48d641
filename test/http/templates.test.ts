import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ejs from 'ejs';
import { declareLocals, escapeHtml, renderView } from '../../server/http/templates';

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

// Compiled once (cache) the app renders with its own include; recompiled (npm run dev) through EJS's.
describe.each([
  ['compiled once, with our include', true],
  ['recompiled on every render, through EJS', false],
])('rendering without with, %s', (_label, cache) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-views-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const view = renderView(dir, cache);
  const render = (name: string, source: string, data: object) => {
    fs.writeFileSync(path.join(dir, `${name}.ejs`), source);
    return new Promise<string>((resolve, reject) =>
      view(path.join(dir, `${name}.ejs`), data, (error, html) => (error ? reject(error) : resolve(html!))),
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

  it("gives an include's own values to it and what it includes, never back to the page or the next include", async () => {
    fs.writeFileSync(path.join(dir, '_inner.ejs'), '(<%= label %>,<%= extra %>,<%= team.name %>)');
    fs.writeFileSync(path.join(dir, '_outer.ejs'), `<<%= label %>:<%- include('/_inner', { extra: 'x' + label }) %>>`);
    fs.writeFileSync(path.join(dir, '_plain.ejs'), `{<%= locals.label || '-' %>,<%= locals.extra || '-' %>}`);
    const html = await render(
      'nested',
      `<%- include('/_outer', { label: 'a' }) %><%- include('/_plain') %><%- include('/_outer', { label: 'b' }) %><%= locals.label || '-' %>`,
      { team: { name: 'Acme' } },
    );
    expect(html).toBe('<a:(a,xa,Acme)>{-,-}<b:(b,xb,Acme)>-');
  });

  it('fails with the template error, not a page', async () => {
    await expect(render('broken', '<%= team.name.missing.deeper %>', { team: { name: 'Acme' } })).rejects.toThrow(TypeError);
  });
});

describe('escapeHtml', () => {
  it("escapes exactly as EJS's escapeXML does", () => {
    const values: unknown[] = [
      '',
      'plain',
      'a&b',
      '<script>alert("x")</script>',
      "it's",
      '&&&<<<>>>',
      `"'<>&`,
      '&amp; already',
      'ünïcödé <€> “quotes” 😀',
      '/app/team/1/integrations?add_key=gmail&return_to=%2Fapp',
      `${'x'.repeat(300)}&`,
      0,
      12.5,
      true,
      null,
      undefined,
      { toString: () => '<object & more>' },
    ];
    for (const value of values) expect(escapeHtml(value)).toBe(ejs.escapeXML(value));
    expect(escapeHtml(`<a href="x?y=1&z='2'">`)).toBe('&lt;a href=&#34;x?y=1&amp;z=&#39;2&#39;&#34;&gt;');
  });
});

describe('our include', () => {
  it('refuses a name that is not from the views root, saying how to write it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-views-'));
    fs.writeFileSync(path.join(dir, 'relative.ejs'), "<%- include('_child') %>");
    const error = await new Promise<Error | null>((resolve) => renderView(dir, true)(path.join(dir, 'relative.ejs'), {}, resolve));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(error?.message).toMatch(/name the file from the views root/);
  });
});
