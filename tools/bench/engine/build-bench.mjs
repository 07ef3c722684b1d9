// Bundles the engine benchmark with esbuild into tools/bench/engine/dist, as production bundles
// the storage node: plain `node` runs it, so no TypeScript loader (~60 MiB per thread) inflates
// the memory measured. The engine's worker entry lands at dist/engine/compaction/, where the
// bundled engine looks for it.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const outdir = path.join(here, 'dist');
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: {
    'engine-bench': path.join(here, 'engine-bench.ts'),
    'bench-child': path.join(here, 'bench-child.ts'),
    'engine/compaction/engine-worker': path.join(
      root,
      'apps/storage-node/src/engine/compaction/engine-worker.ts',
    ),
  },
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  tsconfig: path.join(root, 'tsconfig.base.json'),
  sourcemap: true,
  logLevel: 'warning',
});
