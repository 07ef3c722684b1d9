import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', 'libs/proto/src/gen/**', '**/*.js'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Libraries are shared building blocks: they may use each other, never an app.
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // Each service depends only on shared libs and its own scope: coordinator and
            // storage node never import each other.
            {
              sourceTag: 'scope:coordinator',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:coordinator'],
            },
            {
              sourceTag: 'scope:storage',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:storage'],
            },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared', 'scope:cli'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // `x!` is an assertion that a lookup cannot miss; a bug there should throw, not be hidden.
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
];
