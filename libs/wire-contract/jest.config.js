module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'wire-contract',
  rootDir: __dirname,
};
