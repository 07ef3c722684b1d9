// The built coordinator and storage-node bundles a local cluster runs. They live in the
// workspace beside this CLI (apps/<app>/dist/main.js), found by walking up to nx.json, so the
// CLI works the same from its own bundle and from its TypeScript sources.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CommandError } from '../exit-codes';

export interface AppBundles {
  readonly coordinator: string;
  readonly storageNode: string;
}

export class MissingBuildError extends CommandError {
  constructor(bundle: string) {
    super(
      `${bundle} is missing: build it first with ` +
        '`npx nx run-many -t build -p coordinator storage-node cli` (npm start does this)',
    );
    this.name = 'MissingBuildError';
  }
}

/** The workspace root: the nearest folder above `from` holding nx.json. */
export function workspaceRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'nx.json'))) return dir;
    if (path.dirname(dir) === dir) {
      throw new CommandError(`no PairDB workspace (nx.json) above ${from}`);
    }
  }
}

export function locateBundles(root: string = workspaceRoot()): AppBundles {
  const bundles = {
    coordinator: path.join(root, 'apps/coordinator/dist/main.js'),
    storageNode: path.join(root, 'apps/storage-node/dist/main.js'),
  };
  for (const bundle of Object.values(bundles)) {
    if (!existsSync(bundle)) throw new MissingBuildError(path.relative(process.cwd(), bundle));
  }
  return bundles;
}
