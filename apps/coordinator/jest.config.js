module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'coordinator',
  rootDir: __dirname,
};
