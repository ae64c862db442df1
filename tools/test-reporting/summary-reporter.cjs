const { writeSync } = require('node:fs');

/**
 * Ends the run with one plain line, `tests: N passed, N failed`, that CI
 * reads whatever the runner. It is written when the process exits so that it
 * comes after Jest's own summary; suites that failed to run count as failed.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `\ntests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    process.once('exit', () => writeSync(2, line));
  }
}
module.exports = SummaryReporter;
