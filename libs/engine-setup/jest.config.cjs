module.exports = { ...require('../../jest.preset.cjs'), displayName: 'engine-setup' };
