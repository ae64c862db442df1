// The base image under the hardened profile against the real control plane. Nx builds and checks the image and its parents (build-image, test-image) before these tests run.
module.exports = { preset: '../../jest.preset.cjs', displayName: 'agent-base-e2e', testMatch: ['<rootDir>/**/*.spec.ts'] };
