// Shared jest settings: TypeScript through SWC (no type check here; `typecheck` does that),
// workspace libs resolved to their sources, node environment.
const path = require('node:path');

const root = __dirname;

// Child processes and worker threads started by tests run TypeScript sources through
// `node --require @swc-node/register`; this points it at the workspace path mapping.
process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.base.json');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@pairdb/([a-z-]+)$': path.join(root, 'libs/$1/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  setupFiles: [path.join(root, 'tools/jest/fast-check-seed.ts')],
  // Tests run two projects at a time on two cores; 5 s was too tight for the slow ones.
  testTimeout: 30_000,
};
