// Every image built FROM the base keeps its contract, and what each variant adds works. Nx builds and checks the variants (and so the base) before these tests run.
module.exports = { preset: '../../jest.preset.cjs', displayName: 'agent-variants-e2e', testMatch: ['<rootDir>/**/*.spec.ts'] };
