/**
 * The readable text of an HTML page, in one linear pass (no regular expressions over the markup,
 * so a hostile page cannot make it slow): scripts, styles and the like are dropped, block elements
 * become line breaks, entities are decoded.
 */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'title', 'iframe', 'object']);
const BLOCKS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'dd',
  'div',
  'dl',
  'dt',
  'figcaption',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'td',
  'th',
  'tr',
  'ul',
]);

export function htmlToText(html: string): { title: string | null; text: string } {
  // ASCII only, so indices in `lower` are indices in `html` (toLowerCase can change the length).
  const lower = html.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  let out = '';
  let title: string | null = null;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    if (lower.startsWith('<!--', lt)) {
      const end = lower.indexOf('-->', lt + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    const gt = html.indexOf('>', lt);
    if (gt === -1) break;
    const closing = lower[lt + 1] === '/';
    const name = /^[a-z][a-z0-9]*/.exec(lower.slice(lt + (closing ? 2 : 1), Math.min(gt, lt + 20)))?.[0] ?? '';
    i = gt + 1;
    if (!closing && SKIPPED.has(name) && lower[gt - 1] !== '/') {
      const end = lower.indexOf(`</${name}`, i);
      if (name === 'title' && title === null) title = collapse(decodeEntities(html.slice(i, end === -1 ? html.length : end))) || null;
      if (end === -1) break;
      const endGt = lower.indexOf('>', end);
      i = endGt === -1 ? html.length : endGt + 1;
      continue;
    }
    if (BLOCKS.has(name)) out += '\n';
  }
  const text = decodeEntities(out)
    .split('\n')
    .map(collapse)
    .filter((line) => line !== '')
    .join('\n');
  return { title, text };
}

function collapse(line: string): string {
  return line.replace(/[\s\u00a0]+/g, ' ').trim();
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[entity.toLowerCase()] ?? whole;
  });
}
