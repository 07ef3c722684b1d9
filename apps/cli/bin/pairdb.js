#!/usr/bin/env node
// `pairdb` in a clone: `npm ci` links this file as node_modules/.bin/pairdb (the "bin" of
// apps/cli/package.json) before anything is built, so it stays plain JavaScript, forwards to
// the built CLI (apps/cli/dist/main.js, ES module chunks) and says how to build it when missing.
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const main = path.join(__dirname, '..', 'dist', 'main.js');
if (existsSync(main)) {
  import(pathToFileURL(main).href);
} else {
  process.stderr.write(
    `pairdb: the CLI is not built (${path.relative(process.cwd(), main)} is missing): ` +
      'run `npx nx run cli:build`, or `npm start`, which builds it\n',
  );
  process.exitCode = 1;
}
