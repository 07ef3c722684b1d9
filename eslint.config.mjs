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
          // The CLI loads the client lazily for fast start-up (apps/cli/src/session.ts) and
          // imports its types and errors statically elsewhere; both are intended.
          checkDynamicDependenciesExceptions: ['@pairdb/client'],
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
            // Repository checks (tools/docs-check) read files; they may use shared libs only.
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:shared'] },
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
  {
    // Wire code stays at the edges (docs/architecture.md): request paths, the storage engine and
    // the node's version store work on domain types; replicas/ and grpc/ convert.
    files: [
      'apps/coordinator/src/paths/**/*.ts',
      'apps/storage-node/src/engine/**/*.ts',
      'apps/storage-node/src/versions/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@pairdb/proto',
              message: 'generated protocol types belong at the edge (replicas/, grpc/)',
            },
          ],
          patterns: [
            {
              group: ['@grpc/*'],
              message: 'gRPC belongs at the edge (replicas/, grpc/)',
            },
            {
              group: ['**/libs/proto/**', '**/gen/pairdb/**'],
              message: 'generated protocol types belong at the edge (replicas/, grpc/)',
            },
          ],
        },
      ],
    },
  },
];
