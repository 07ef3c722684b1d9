module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'test-ports',
  rootDir: __dirname,
};
