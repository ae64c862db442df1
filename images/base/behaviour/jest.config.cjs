// Behaviour tests of the built image (jest + dockerode against the real engine); the Python unit tests in ../tests/ run inside it (test-image).
module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'agent-base-behaviour', testMatch: ['<rootDir>/**/*.spec.ts'] };
