module.exports = { preset: '../../jest.preset.cjs', displayName: 'task-images' };
