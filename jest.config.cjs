const { getJestProjectsAsync } = require('@nx/jest');

/** The whole suite in one Jest run (what `npm test` runs); each project also has its own `nx test` target. */
module.exports = async () => ({
  projects: await getJestProjectsAsync(),
  reporters: ['default', '<rootDir>/tools/test-reporting/summary-reporter.cjs'],
});
