import { Worker } from 'node:worker_threads';

/**
 * The Calculator: math.js's expression parser (no JavaScript eval) with big decimals, so
 * 0.1 + 0.2 is 0.3, and units ("5 km to mile"). Functions that define things, parse or evaluate
 * further expressions, or build large matrices are switched off, as math.js's security notes
 * advise for untrusted input. Some short inputs still take unbounded time (cos(9^9^9)), so the
 * evaluation runs in a worker thread that is ended after a deadline. See docs/decisions/012-built-in-tools.md.
 */
export class CalculatorError extends Error {
  override name = 'CalculatorError';
}

export const MAX_EXPRESSION_LENGTH = 500;
const DEADLINE_MS = 2_000;

const DISABLED = [
  'import',
  'createUnit',
  'evaluate',
  'parse',
  'compile',
  'simplify',
  'simplifyConstant',
  'simplifyCore',
  'derivative',
  'resolve',
  'rationalize',
  'reviver',
  'replacer',
  'ones',
  'zeros',
  'identity',
  'range',
  'matrix',
  'sparse',
  'diag',
  'resize',
  'concat',
  'kron',
  'map',
  'forEach',
  'filter',
  'apply',
  'factorial',
  'gamma',
  'lgamma',
  // Combinatorics: seconds of work for a short input (combinations(1e6, 5e5), bellNumbers(1000)).
  'combinations',
  'combinationsWithRep',
  'permutations',
  'multinomial',
  'bellNumbers',
  'catalan',
  'stirlingS2',
  'composition',
];

// Plain JavaScript, so the worker runs the same under tsx, ts-jest and the compiled build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { create, all } = require(workerData.mathjs);
const math = create(all, { number: 'BigNumber', precision: 64 });
const evaluate = math.evaluate.bind(math);
const parse = math.parse.bind(math);
const REFUSED = 'calculator-refused:';
math.import(Object.fromEntries(workerData.disabled.map((name) => [name, () => { throw new Error(REFUSED + name); }])), { override: true });
const say = (error) => (error && error.message) || String(error);
// decimal.js raises its precision inside an operation and restores it at the end; an exception in
// between (e.g. cos(9^9^9)) leaves it raised, and every later calculation slow. Reset it each time.
const settings = { precision: math.BigNumber.precision, rounding: math.BigNumber.rounding };
parentPort.postMessage({ ready: true });
parentPort.on('message', ({ id, expression }) => {
  math.BigNumber.set(settings);
  let tree;
  try {
    tree = parse(expression);
  } catch (error) {
    return parentPort.postMessage({ id, ok: false, text: 'That is not an expression the calculator understands: ' + say(error) + '.' });
  }
  if (tree.filter((node) => node.type === 'FunctionAssignmentNode' || node.type === 'AssignmentNode').length > 0) {
    return parentPort.postMessage({ id, ok: false, text: 'Assignments and function definitions are not supported; write one expression.' });
  }
  try {
    const result = evaluate(expression);
    if (typeof result === 'function' || result === undefined) return parentPort.postMessage({ id, ok: false, text: 'That is not something that can be calculated.' });
    parentPort.postMessage({ id, ok: true, text: math.format(result, { precision: 20, lowerExp: -9, upperExp: 21 }) });
  } catch (error) {
    const message = say(error);
    const refused = message.indexOf(REFUSED);
    parentPort.postMessage({ id, ok: false, text: refused >= 0 ? message.slice(refused + REFUSED.length) + ' is not available in the calculator.' : 'Could not calculate that: ' + message + '.' });
  }
});
`;

interface Pending {
  resolve: (text: string) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Calculator {
  worker: Worker;
  /** Settles once math.js is loaded in the worker (a second or two): deadlines start after it. */
  ready: Promise<void>;
  pending: Map<number, Pending>;
}

let calculator: Calculator | null = null;
let nextId = 1;

function startCalculator(): Calculator {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { mathjs: require.resolve('mathjs'), disabled: DISABLED },
    resourceLimits: { maxOldGenerationSizeMb: 128 },
  });
  let markReady: () => void = () => {};
  let markFailed: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => {}); // failures reach callers through calculate()
  const started: Calculator = { worker, ready, pending: new Map() };
  worker.on('message', (message: { ready?: true; id: number; ok: boolean; text: string }) => {
    if (message.ready) return markReady();
    const waiting = settle(started, message.id);
    if (message.ok) waiting?.resolve(message.text);
    else waiting?.reject(new CalculatorError(message.text));
  });
  const fail = (reason: string) => {
    if (calculator === started) calculator = null;
    markFailed(new CalculatorError(reason));
    for (const id of [...started.pending.keys()]) settle(started, id)?.reject(new CalculatorError(reason));
  };
  worker.on('error', () => fail('The calculation used too much memory and was stopped.'));
  worker.on('exit', () => fail('The calculator stopped; try again.'));
  return started;
}

/** Forgets a pending calculation; the worker keeps the process alive only while one is pending. */
function settle(calc: Calculator, id: number): Pending | undefined {
  const waiting = calc.pending.get(id);
  if (waiting) clearTimeout(waiting.timer);
  calc.pending.delete(id);
  if (calc.pending.size === 0) calc.worker.unref();
  return waiting;
}

/** The result as text, or a CalculatorError saying what is wrong with the expression. */
export async function calculate(expression: string): Promise<string> {
  const trimmed = expression.trim();
  if (trimmed === '') throw new CalculatorError('The expression is empty. Try something like "2 * (3 + 4)" or "5 km to mile".');
  if (trimmed.length > MAX_EXPRESSION_LENGTH) throw new CalculatorError(`Keep the expression under ${MAX_EXPRESSION_LENGTH} characters.`);
  calculator ??= startCalculator();
  const current = calculator;
  current.worker.ref();
  try {
    await current.ready;
  } finally {
    if (current.pending.size === 0) current.worker.unref();
  }
  const id = nextId++;
  current.worker.ref();
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      settle(current, id);
      reject(new CalculatorError(`The calculation took longer than ${DEADLINE_MS / 1000} seconds and was stopped.`));
      // The worker is busy with it and cannot be interrupted otherwise: end it; the next call starts a new one.
      if (calculator === current) calculator = null;
      void current.worker.terminate();
    }, DEADLINE_MS);
    current.pending.set(id, { resolve, reject, timer });
    current.worker.postMessage({ id, expression: trimmed });
  });
}
