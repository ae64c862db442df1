const { writeSync } = require('node:fs');
const { relative } = require('node:path');

/** How many of the slowest test files the summary lists: where the suite's time goes. */
const SLOWEST_SHOWN = 12;

/**
 * Ends the run with one plain line, `tests: N passed, N failed`, that CI
 * reads whatever the runner, after the slowest test files and their times,
 * so a suite over its time budget says where to look. It is written when the
 * process exits so that it comes after Jest's own summary; suites that failed
 * to run count as failed.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const slowest = results.testResults
      .map((file) => ({ path: relative(process.cwd(), file.testFilePath), seconds: (file.perfStats.end - file.perfStats.start) / 1000 }))
      .filter((file) => Number.isFinite(file.seconds) && file.seconds > 0)
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, SLOWEST_SHOWN);
    const lines = slowest.length ? [`slowest test files:`, ...slowest.map((file) => `  ${file.seconds.toFixed(1).padStart(7)} s  ${file.path}`)] : [];
    lines.push(`tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
    process.once('exit', () => writeSync(2, `\n${lines.join('\n')}\n`));
  }
}
module.exports = SummaryReporter;
