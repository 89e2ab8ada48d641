import { calculate } from '../../server/mcp/tools/calculator';

describe('the calculator', () => {
  it.each([
    ['0.1 + 0.2', '0.3'],
    ['(1.1 + 2.2) * 3', '9.9'],
    ['2^10', '1024'],
    ['sqrt(2)', '1.4142135623730950488'],
    ['5 km to mile', '3.1068559611866698481 mile'],
    ['20% * 50', '10'],
  ])('evaluates %s exactly', async (expression, result) => {
    expect(await calculate(expression)).toBe(result);
  });

  it.each([
    ['import({}, {})', 'import is not available in the calculator.'],
    ['evaluate("1 + 1")', 'evaluate is not available in the calculator.'],
    ['createUnit("foo")', 'createUnit is not available in the calculator.'],
    ['1:1e9', 'range is not available in the calculator.'],
    ['ones(10000, 10000)', 'ones is not available in the calculator.'],
    ['combinations(1e6, 5e5)', 'combinations is not available in the calculator.'],
    ['f(x) = x^2', 'Assignments and function definitions are not supported; write one expression.'],
    ['"a".constructor', 'Could not calculate that: No access to property "constructor".'],
    ['x + 1', 'Could not calculate that: Undefined symbol x.'],
    ['2 +', 'That is not an expression the calculator understands: Unexpected end of expression (char 4).'],
    ['   ', 'The expression is empty. Try something like "2 * (3 + 4)" or "5 km to mile".'],
    ['1+'.repeat(300), 'Keep the expression under 500 characters.'],
  ])('refuses %s in words', async (expression, message) => {
    await expect(calculate(expression)).rejects.toThrow(message);
  });

  it('stops a calculation that runs past its deadline, and keeps working afterwards', async () => {
    await expect(calculate('bitAnd(2^1000000, 3)')).rejects.toThrow('The calculation took longer than 2 seconds and was stopped.');
    expect(await calculate('6 * 7')).toBe('42');
  });

  it('is not slowed by an earlier calculation that failed half way (decimal.js precision)', async () => {
    await expect(calculate('cos(9^9^9)')).rejects.toThrow('Precision limit exceeded');
    expect(await calculate('sqrt(2)')).toBe('1.4142135623730950488');
  });
});
