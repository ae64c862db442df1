module.exports = { preset: '../../jest.preset.cjs', displayName: 'image-signing' };
