module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hashring',
  rootDir: __dirname,
};
