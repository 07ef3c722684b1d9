// The CLI under test: a fresh esbuild bundle of apps/cli/src in the workspace's tmp/ (so it is
// never stale, and finds nx.json and node_modules like the real one), run by plain `node`.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

export interface CliBundle {
  readonly main: string;
  remove(): void;
}

export async function buildCliBundle(): Promise<CliBundle> {
  // tmp/ is git-ignored, so a fresh clone does not have it.
  mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, 'tmp', 'cli-test-'));
  const main = path.join(dir, 'main.js');
  await build({
    entryPoints: [path.join(ROOT, 'apps/cli/src/main.ts')],
    outfile: main,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    tsconfig: path.join(ROOT, 'tsconfig.base.json'),
    logLevel: 'warning',
  });
  return { main, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const WORKSPACE_ROOT = ROOT;
