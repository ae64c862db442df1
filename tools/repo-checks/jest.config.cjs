module.exports = { preset: '../../jest.preset.cjs', displayName: 'repo-checks' };
