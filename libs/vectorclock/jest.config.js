module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'vectorclock',
  rootDir: __dirname,
};
