// Behaviour test of the built image on a Docker network; the Python tests in ../tests/ run inside it (test-image).
module.exports = { ...require('../../../../jest.preset.cjs'), displayName: 'agent-web-scraping-behaviour', testMatch: ['<rootDir>/**/*.spec.ts'] };
