module.exports = { preset: '../../jest.preset.cjs', displayName: 'nx-images' };
