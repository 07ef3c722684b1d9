module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'test-seed',
  rootDir: __dirname,
};
