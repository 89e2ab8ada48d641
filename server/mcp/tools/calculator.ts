type MathJs = typeof import('mathjs', { with: { 'resolution-mode': 'import' } });
// math.js ships a CommonJS build (the "require" entry of its exports map) but declares its types as ESM only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { all, create } = require('mathjs') as MathJs;

/**
 * The Calculator: math.js's expression parser (no JavaScript eval) with big decimals, so
 * 0.1 + 0.2 is 0.3, and units ("5 km to mile"). Functions that define things, parse or evaluate
 * further expressions, or build large matrices are switched off, as math.js's security notes
 * advise for untrusted input. See docs/decisions/012-built-in-tools.md.
 */
const math = create(all!, { number: 'BigNumber', precision: 64 });
const evaluateExpression = math.evaluate.bind(math);
const parseExpression = math.parse.bind(math);

const DISABLED = [
  'import', 'createUnit', 'evaluate', 'parse', 'compile', 'simplify', 'simplifyConstant', 'simplifyCore', 'derivative',
  'resolve', 'rationalize', 'reviver', 'replacer', 'ones', 'zeros', 'identity', 'range', 'matrix', 'sparse', 'diag',
  'resize', 'concat', 'kron', 'map', 'forEach', 'filter', 'apply', 'factorial', 'gamma', 'lgamma',
];
math.import(
  Object.fromEntries(
    DISABLED.map((name) => [
      name,
      () => {
        throw new CalculatorError(`${name} is not available in the calculator.`);
      },
    ]),
  ),
  { override: true },
);

export class CalculatorError extends Error {
  override name = 'CalculatorError';
}

export const MAX_EXPRESSION_LENGTH = 500;

/** The result as text, or a CalculatorError saying what is wrong with the expression. */
export function calculate(expression: string): string {
  const trimmed = expression.trim();
  if (trimmed === '') throw new CalculatorError('The expression is empty. Try something like "2 * (3 + 4)" or "5 km to mile".');
  if (trimmed.length > MAX_EXPRESSION_LENGTH) throw new CalculatorError(`Keep the expression under ${MAX_EXPRESSION_LENGTH} characters.`);
  // Function definitions (f(x) = ...) and assignments would outlive nothing here, but say so plainly.
  const tree = parseOrExplain(trimmed);
  if (tree.filter((node) => node.type === 'FunctionAssignmentNode' || node.type === 'AssignmentNode').length > 0) {
    throw new CalculatorError('Assignments and function definitions are not supported; write one expression.');
  }
  let result: unknown;
  try {
    result = evaluateExpression(trimmed);
  } catch (error) {
    if (error instanceof CalculatorError) throw error;
    throw new CalculatorError(`Could not calculate that: ${error instanceof Error ? error.message : String(error)}.`);
  }
  if (typeof result === 'function' || result === undefined) throw new CalculatorError('That is not something that can be calculated.');
  return math.format(result, { precision: 20, lowerExp: -9, upperExp: 21 });
}

function parseOrExplain(expression: string) {
  try {
    return parseExpression(expression);
  } catch (error) {
    throw new CalculatorError(`That is not an expression the calculator understands: ${error instanceof Error ? error.message : String(error)}.`);
  }
}
