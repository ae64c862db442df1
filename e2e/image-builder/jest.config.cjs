// The image-builder against the real engine, a registry and a package index of the tests' own; one scenario per file.
module.exports = { preset: '../../jest.preset.cjs', displayName: 'image-builder-e2e', testMatch: ['<rootDir>/**/*.spec.ts'] };
