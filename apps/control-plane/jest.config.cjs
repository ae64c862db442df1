module.exports = { preset: '../../jest.preset.cjs', displayName: 'control-plane' };
