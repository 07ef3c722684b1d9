#!/usr/bin/env node
// Entry point of the `pairdb` command (bundled to apps/cli/dist/main.js).
import { runCli } from './program';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('pairdb: unexpected failure:', error);
    process.exitCode = 1;
  },
);
