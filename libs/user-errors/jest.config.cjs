module.exports = { preset: '../../jest.preset.cjs', displayName: 'user-errors' };
