// The CLI under test: a fresh build of apps/cli/src in the workspace's tmp/, made by the same
// script and flags as `nx run cli:build` (so it is never stale, is split into chunks like the
// real one, and finds nx.json and node_modules like it), run by plain `node`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

export interface CliBundle {
  readonly main: string;
  readonly dir: string;
  remove(): void;
}

/** The build command of apps/cli/project.json, so tests build exactly what `nx build` does. */
function projectBuildCommand(): string[] {
  const project = JSON.parse(readFileSync(path.join(ROOT, 'apps/cli/project.json'), 'utf8')) as {
    targets: { build: { options: { command: string } } };
  };
  return project.targets.build.options.command.split(/\s+/);
}

export async function buildCliBundle(): Promise<CliBundle> {
  // tmp/ is git-ignored, so a fresh clone does not have it.
  mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, 'tmp', 'cli-test-'));
  const [, script, ...args] = projectBuildCommand();
  execFileSync(process.execPath, [script!, ...args, '--outdir', dir], { cwd: ROOT });
  return {
    main: path.join(dir, 'main.js'),
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const WORKSPACE_ROOT = ROOT;
