// Ends the test run with one plain line that any log reader can parse: "tests: N passed, N failed".
const { spawnSync } = require('node:child_process');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
    );
    // Never a silent pass: say when the template lint could not run.
    if (spawnSync('cfn-lint', ['--version']).status !== 0) process.stdout.write('template lint: not run, cfn-lint is not installed (pip install cfn-lint)\n');
  }
}
module.exports = SummaryReporter;
