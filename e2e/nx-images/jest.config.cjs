// The plugin end to end: nx build-image, push-image, release and the generator in fixture workspaces (and clones of this repo) against the real engine and registries of their own. Fixtures borrow the repo's Python runtime image, so Nx builds it first.
module.exports = { preset: '../../jest.preset.cjs', displayName: 'nx-images-e2e', testMatch: ['<rootDir>/**/*.spec.ts'] };
