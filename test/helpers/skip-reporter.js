/**
 * After jest's summary, the name of every skipped test: the name carries the reason
 * (test/helpers/postgres-only.ts), so "1 skipped" never stands unexplained.
 */
'use strict';

class SkipReporter {
  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') skipped.push(test.fullName);
      }
    }
    if (skipped.length === 0) return;
    process.stderr.write(`\n${skipped.length} skipped:\n${skipped.map((name) => `  - ${name}`).join('\n')}\n`);
  }
}

module.exports = SkipReporter;
