// The base graph through the pipeline on newer Docker engines (nested in the host's), one scenario per engine and store.
module.exports = { preset: '../../jest.preset.cjs', displayName: 'engines-e2e', testMatch: ['<rootDir>/**/*.spec.ts'] };
