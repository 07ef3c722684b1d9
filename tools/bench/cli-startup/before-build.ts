// The `pairdb` command as it was before lazy loading (issue 15), rebuilt in this run so before
// and after are measured on the same machine under the same load: its sources come from git at
// BEFORE_COMMIT and are bundled the way they were then (one eager CommonJS file, npm packages
// loaded from node_modules).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

/** The last commit whose CLI loaded every command's modules before parsing its arguments. */
export const BEFORE_COMMIT = 'f6fad1a';

/** Builds the old CLI below `dir` (inside the workspace, so node_modules resolves); its main. */
export async function buildBeforeCli(root: string, dir: string): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync(
    'git',
    ['archive', BEFORE_COMMIT, 'apps/cli/src', 'libs', 'tsconfig.base.json'],
    { cwd: root, maxBuffer: 256 * 1024 * 1024 },
  );
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  // Generated protocol code is not in git; the .proto files it comes from did not change.
  cpSync(path.join(root, 'libs/proto/src/gen'), path.join(dir, 'libs/proto/src/gen'), {
    recursive: true,
  });
  const main = path.join(dir, 'dist/main.js');
  await build({
    entryPoints: [path.join(dir, 'apps/cli/src/main.ts')],
    outfile: main,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    tsconfig: path.join(dir, 'tsconfig.base.json'),
    logLevel: 'warning',
  });
  return main;
}
