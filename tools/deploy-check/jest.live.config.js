// The container tests (local-setup/README.md#how-it-is-checked): the images are built once by the
// global set-up, then the specs run one at a time against one Docker daemon.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'deploy-check:live',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/live/**/*.spec.ts'],
  globalSetup: '<rootDir>/test/live/global-setup.ts',
  maxWorkers: 1,
};
