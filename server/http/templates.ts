import path from 'node:path';
import ejs from 'ejs';

/**
 * EJS as the app uses it: templates without `with`.
 *
 * By default EJS runs each template inside `with (locals) { ... }`, and V8 cannot optimise a
 * name lookup through `with`: the assistant page's 50 rows took 0.77 ms to render that way and
 * 0.40 ms without (a measured render of the row template). So templates compile with `_with: false`, and
 * each template file starts with one declaration of the names it reads, taken from the locals:
 * `<% var team = locals.team, assistant = locals.assistant, ... %>`. The names are every identifier
 * in the file's code tags except JavaScript's own words, globals (Math) and EJS's own (include,
 * locals); an extra name only declares an unused variable. A template that declares a variable of
 * its own (`var form = ...`) shadows the local of that name, as it did before. Templates still read
 * optional locals as `locals.name`. See docs/decisions/022-templates-without-with.md.
 */

const OWN_WORDS = new Set(
  [
    // JavaScript
    'var let const function if else return true false null undefined typeof new in of for while do switch case break',
    'continue this instanceof delete void try catch finally throw default',
    // EJS's compiled function: its parameters and internals
    'locals escapeFn include rethrow __append __output __line __lines __filename __locals',
  ]
    .join(' ')
    .split(' '),
);

/** The template with a first tag that declares, from `locals`, every name its code reads. */
export function declareLocals(template: string): string {
  const names = new Set<string>();
  for (const tag of template.matchAll(/<%([_=\-#%]?)([\s\S]*?)[-_]?%>/g)) {
    if (tag[1] === '#' || tag[1] === '%') continue; // a comment, or a literal "<%"
    const code = tag[2]!.replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, "''"); // names inside strings are not names
    for (const [name] of code.matchAll(/(?<![.\w$])[A-Za-z_$][\w$]*/g)) {
      if (!OWN_WORDS.has(name) && !(name in globalThis)) names.add(name);
    }
  }
  if (names.size === 0) return template;
  return `<% var ${[...names].map((name) => `${name} = locals.${name}`).join(', ')}; %>${template}`;
}

const readFile = ejs.fileLoader;
// Every template file, the page's and each include's, is read through this once (then cached).
ejs.fileLoader = (file: string) => declareLocals(readFile(file).toString());

/**
 * `<%= %>` output, escaped exactly as EJS's escapeXML does (& < > " ' as &amp; &lt; &gt; &#34; &#39;;
 * null and undefined as nothing), without a regular expression's replace and a function call for
 * each character replaced: most values have nothing to escape and come back as they are. Escaping
 * took a twentieth of the app's CPU on the assistant page.
 */
const NEEDS_ESCAPING = /[&<>"']/;
export function escapeHtml(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  if (!NEEDS_ESCAPING.test(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    let entity: string;
    switch (text.charCodeAt(i)) {
      case 38:
        entity = '&amp;';
        break;
      case 60:
        entity = '&lt;';
        break;
      case 62:
        entity = '&gt;';
        break;
      case 34:
        entity = '&#34;';
        break;
      case 39:
        entity = '&#39;';
        break;
      default:
        continue;
    }
    out += text.slice(from, i) + entity;
    from = i + 1;
  }
  return out + text.slice(from);
}

/** A compiled template: EJS's own function, called with our include. */
type Compiled = (locals: object, escapeFn: (value: unknown) => string, include: Include, rethrow: undefined) => string;
type Include = (name: string, data?: object) => string;

/**
 * Renders a view for Express. Includes name their file from the views root ('/partials/top'), so
 * nothing probes the disk for a path relative to the including file, and the locals object, which
 * only our own code fills, is handed to the template as it is instead of being copied once more.
 * The templates' own indentation is left out of the pages (`rmWhitespace`: each line of template text
 * is trimmed, line breaks stay, so words never run together; no template has a <pre> or <textarea>
 * whose text spans lines): it was 8.5 of the assistant page's 57 KB.
 *
 * Compiled once (`cache`, all but `npm run dev`), templates leave out EJS's line tracking, which sets
 * a variable before every line and wraps the template in a try/catch to name the line of an error
 * (the assistant page rendered in 0.25 ms without it against 0.36 ms with it), and their includes
 * are ours: EJS's include copies every local into a new object for each include, which was a fifth
 * of what the assistant page allocated (118 of 630 KB; a copy of some 50 locals for each of its
 * includes). Ours hands an include the page's locals object itself, or, when the include names
 * values of its own, a new object holding just those whose prototype is the page's locals
 * (templates read locals by name, `locals.x`, and never write them). `npm run dev`, which compiles
 * on every request, renders through EJS as it comes, line tracking included.
 */
export function renderView(root: string, cache: boolean) {
  const options = { root, rmWhitespace: true, _with: false } as const;
  if (!cache)
    return (file: string, data: object, done: (error: Error | null, html?: string) => void) =>
      ejs.renderFile(file, data, { ...options, cache: false, compileDebug: true, unsafePrototypeLocals: true }, done);

  const compiled = new Map<string, Compiled>();
  const includePaths = new Map<string, string>();
  const compiledFile = (file: string): Compiled => {
    let fn = compiled.get(file);
    if (!fn) {
      const template = new ejs.Template(ejs.fileLoader(file).toString(), { ...options, filename: file, compileDebug: false });
      template.compile(); // fills template.source: the body of the function EJS would call
      fn = new Function('locals, escapeFn, include, rethrow', template.source) as Compiled;
      compiled.set(file, fn);
    }
    return fn;
  };
  const includePath = (name: string): string => {
    let file = includePaths.get(name);
    if (!file) {
      if (!name.startsWith('/')) throw new Error(`include('${name}'): name the file from the views root, as in include('/partials/top').`);
      file = path.join(root, path.extname(name) ? name : `${name}.ejs`);
      includePaths.set(name, file);
    }
    return file;
  };
  const render = (file: string, locals: object): string =>
    compiledFile(file)(
      locals,
      escapeHtml,
      (name, data) => render(includePath(name), data ? Object.assign(Object.create(locals) as object, data) : locals),
      undefined,
    );
  return (file: string, data: object, done: (error: Error | null, html?: string) => void) => {
    let html: string;
    try {
      html = render(file, data);
    } catch (error) {
      return done(error as Error);
    }
    done(null, html);
  };
}
