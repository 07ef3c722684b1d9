// Bundles one app for production:
//   node tools/build/build-app.mjs <appDir> <entry.ts>... [--copy <repo folder>]...
// Workspace libs are bundled in (through tsconfig paths); npm packages stay external and load
// from node_modules at run time (PGlite's wasm and native addons need their own files).
// Each entry keeps its path below src/, so a worker file sits beside its source twin.
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const copies = [];
for (let i = args.indexOf('--copy'); i >= 0; i = args.indexOf('--copy')) {
  copies.push(args[i + 1]);
  args.splice(i, 2);
}
const [appDir, ...entries] = args;
if (!appDir || entries.length === 0) {
  console.error('usage: build-app.mjs <appDir> <entry.ts>...');
  process.exit(2);
}
const appRoot = path.join(root, appDir);
const outdir = path.join(appRoot, 'dist');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: entries.map((entry) => path.join(appRoot, entry)),
  outbase: path.join(appRoot, 'src'),
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
copyFileSync(path.join(root, 'libs/proto/src/gen/pairdb.binpb'), path.join(outdir, 'pairdb.binpb'));
// Folders the app reads at run time (for instance SQL migrations) travel beside the bundle.
for (const folder of copies) {
  cpSync(path.join(root, folder), path.join(outdir, path.basename(folder)), { recursive: true });
}
