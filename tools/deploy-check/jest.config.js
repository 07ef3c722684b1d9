module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'deploy-check',
  rootDir: __dirname,
  // The container tests run on their own, last (jest.live.config.js, target test-live).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/live/'],
};
