module.exports = { ...require('../../jest.preset.cjs'), displayName: 'user-errors' };
