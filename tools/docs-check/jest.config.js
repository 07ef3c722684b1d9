module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'docs-check',
  rootDir: __dirname,
};
