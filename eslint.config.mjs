import nx from '@nx/eslint-plugin';

// Which way dependencies may point, by the scope:* tags in each project.json (images are type:image, from image.json).
// Tests (specs and test/ folders) may also use the shared test helpers; everything goes through package names.
const depConstraints = (testCode) => [
  { sourceTag: 'scope:libs', onlyDependOnLibsWithTags: ['scope:libs', ...(testCode ? ['scope:testing'] : [])] },
  { sourceTag: 'scope:apps', onlyDependOnLibsWithTags: ['scope:libs', ...(testCode ? ['scope:testing'] : [])] },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:libs', 'scope:testing'] },
  { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:libs', 'scope:testing'] },
  { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:libs', 'scope:testing'] },
  { sourceTag: 'type:image', onlyDependOnLibsWithTags: ['type:image'] },
];

const TEST_FILES = ['**/test/**/*.ts', '**/*.spec.ts', 'e2e/**/*.ts'];

// engine-setup builds nested engines' roots with rootfs, and rootfs's own test starts the engine with engine-setup:
// a cycle through that test file only; neither library's source imports the other way.
const ignoredCircularDependencies = [['engine-setup', 'rootfs']];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/coverage', '**/tmp'] },
  {
    files: ['**/*.ts', '**/*.cjs', '**/*.mjs', '**/*.js'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: [], ignoredCircularDependencies, depConstraints: depConstraints(false) }],
      // Strict TypeScript: the code asserts non-null where an invariant holds that the compiler cannot see
      // (Map.get of a key just listed, Nx's optional context.projectName in an executor).
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: [], ignoredCircularDependencies, depConstraints: depConstraints(true) }],
      // HTTP tests read JSON bodies loosely on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // CommonJS files: jest.config.cjs, jest.preset.cjs, tools/test-reporting/*.cjs.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
];
