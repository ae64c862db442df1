module.exports = { preset: '../../jest.preset.cjs', displayName: 'agent-contract' };
