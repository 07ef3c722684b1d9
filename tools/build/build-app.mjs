// Bundles one app for production:
//   node tools/build/build-app.mjs <appDir> <entry.ts>... [--copy <repo folder>]...
//                                  [--split] [--bundle-packages] [--external <package>]...
//                                  [--outdir <dir>]
// Workspace libs are bundled in (through tsconfig paths); npm packages stay external and load
// from node_modules at run time (PGlite's wasm and native addons need their own files).
// Each entry keeps its path below src/, so a worker file sits beside its source twin.
// For the CLI, whose every run is a cold start (docs/architecture.md#the-pairdb-command):
//   --split            ES modules with code splitting: each dynamic import() becomes a chunk
//                      loaded on first use, so a command loads only its own code;
//   --bundle-packages  npm packages bundled in too (pure JavaScript only): one file to read
//                      instead of dozens each resolved through node_modules; --external <package>
//                      keeps one out (one only required on paths the app never takes).
// --outdir writes somewhere other than <appDir>/dist (tests build a fresh copy there).
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The sources are CommonJS-minded (__dirname, require.resolve); an ES module output file gets
 * both, for its own location, at its top.
 */
const ESM_COMMONJS_GLOBALS = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { dirname as __pathDirname } from 'node:path';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  'const __dirname = __pathDirname(__filename);',
].join('\n');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);

function takeFlag(flag) {
  const index = args.indexOf(flag);
  if (index >= 0) args.splice(index, 1);
  return index >= 0;
}
const copies = [];
for (let i = args.indexOf('--copy'); i >= 0; i = args.indexOf('--copy')) {
  copies.push(args[i + 1]);
  args.splice(i, 2);
}
const externals = [];
for (let i = args.indexOf('--external'); i >= 0; i = args.indexOf('--external')) {
  externals.push(args[i + 1]);
  args.splice(i, 2);
}
const split = takeFlag('--split');
const bundlePackages = takeFlag('--bundle-packages');
const outdirIndex = args.indexOf('--outdir');
const outdirArgument = outdirIndex >= 0 ? args.splice(outdirIndex, 2)[1] : undefined;
const [appDir, ...entries] = args;
if (!appDir || entries.length === 0) {
  console.error(
    'usage: build-app.mjs <appDir> <entry.ts>... [--copy <folder>] [--split] ' +
      '[--bundle-packages] [--external <package>] [--outdir <dir>]',
  );
  process.exit(2);
}
const appRoot = path.join(root, appDir);
const outdir = outdirArgument ? path.resolve(outdirArgument) : path.join(appRoot, 'dist');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: entries.map((entry) => path.join(appRoot, entry)),
  outbase: path.join(appRoot, 'src'),
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: split ? 'esm' : 'cjs',
  splitting: split,
  chunkNames: 'chunks/[name]-[hash]',
  banner: split ? { js: ESM_COMMONJS_GLOBALS } : undefined,
  packages: bundlePackages ? undefined : 'external',
  external: externals,
  tsconfig: path.join(root, 'tsconfig.base.json'),
  sourcemap: true,
  logLevel: 'warning',
});
// Node reads .js files below this folder as ES modules.
if (split) writeFileSync(path.join(outdir, 'package.json'), '{ "type": "module" }\n');
copyFileSync(path.join(root, 'libs/proto/src/gen/pairdb.binpb'), path.join(outdir, 'pairdb.binpb'));
// Folders the app reads at run time (for instance SQL migrations) travel beside the bundle.
for (const folder of copies) {
  cpSync(path.join(root, folder), path.join(outdir, path.basename(folder)), { recursive: true });
}
