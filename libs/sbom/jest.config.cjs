module.exports = { preset: '../../jest.preset.cjs', displayName: 'sbom' };
