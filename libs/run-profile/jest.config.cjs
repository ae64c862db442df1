module.exports = { preset: '../../jest.preset.cjs', displayName: 'run-profile' };
