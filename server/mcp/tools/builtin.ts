import { z } from 'zod';
import { calculate, CalculatorError, MAX_EXPRESSION_LENGTH } from './calculator';
import { PageReadError, readPage, type PageReaderOptions } from './page-reader';

/** What tools/list shows of a tool. */
export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export type ToolOutcome = { ok: true; text: string } | { ok: false; text: string; reason: string };

export interface BuiltinDeps {
  pageReader?: Partial<PageReaderOptions>;
}

interface BuiltinTool {
  /** The catalog integration that offers it. */
  integrationSlug: string;
  definition: ToolDefinition;
  run(args: Record<string, unknown>, deps: BuiltinDeps): Promise<ToolOutcome>;
}

const calculatorArgs = z.object({ expression: z.string({ message: 'expression must be text, e.g. "2 * (3 + 4)"' }) });
const pageReaderArgs = z.object({ url: z.string({ message: 'url must be text, e.g. "https://example.com/"' }) });

/** The tools Switchboard serves itself, for the catalog's built-in integrations. */
const BUILTIN_TOOLS: BuiltinTool[] = [
  {
    integrationSlug: 'calculator',
    definition: {
      name: 'CALCULATOR_EVALUATE',
      description:
        'Evaluates an arithmetic expression exactly (big decimals), with functions and unit conversion, e.g. "(1.1 + 2.2) * 3", "sqrt(2)" or "5 km to mile".',
      inputSchema: {
        type: 'object',
        properties: { expression: { type: 'string', maxLength: MAX_EXPRESSION_LENGTH, description: 'The expression to evaluate' } },
        required: ['expression'],
      },
    },
    async run(args) {
      const parsed = calculatorArgs.safeParse(args);
      if (!parsed.success) return { ok: false, text: parsed.error.issues[0]!.message, reason: 'bad_arguments' };
      try {
        return { ok: true, text: await calculate(parsed.data.expression) };
      } catch (error) {
        if (error instanceof CalculatorError) return { ok: false, text: error.message, reason: 'bad_arguments' };
        throw error;
      }
    },
  },
  {
    integrationSlug: 'web_browser',
    definition: {
      name: 'WEB_BROWSER_READ_PAGE',
      description: 'Fetches a public web page over http or https and returns its title and text.',
      inputSchema: {
        type: 'object',
        properties: { url: { type: 'string', description: 'The full address of the page, e.g. https://example.com/' } },
        required: ['url'],
      },
    },
    async run(args, deps) {
      const parsed = pageReaderArgs.safeParse(args);
      if (!parsed.success) return { ok: false, text: parsed.error.issues[0]!.message, reason: 'bad_arguments' };
      try {
        const page = await readPage(parsed.data.url, deps.pageReader);
        const header = [
          `URL: ${page.url}`,
          page.title ? `Title: ${page.title}` : null,
          page.truncated ? '(The page was longer; this is its beginning.)' : null,
        ];
        return { ok: true, text: `${header.filter(Boolean).join('\n')}\n\n${page.text}` };
      } catch (error) {
        if (error instanceof PageReadError) return { ok: false, text: error.message, reason: 'page_refused' };
        throw error;
      }
    },
  },
];

export function builtinToolsOf(integrationSlug: string): BuiltinTool[] {
  return BUILTIN_TOOLS.filter((t) => t.integrationSlug === integrationSlug);
}

export function builtinTool(name: string): BuiltinTool | undefined {
  return BUILTIN_TOOLS.find((t) => t.definition.name === name);
}

export function isBuiltinIntegration(slug: string): boolean {
  return BUILTIN_TOOLS.some((t) => t.integrationSlug === slug);
}
