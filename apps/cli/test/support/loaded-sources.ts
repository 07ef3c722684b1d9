// Which source files a `pairdb` run loaded: a module hook (node --import) logs every file Node
// loads, and each loaded chunk's source map names the sources bundled into it, npm packages
// included, as paths from the workspace root.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKSPACE_ROOT, type CliBundle } from './cli-bundle';

const REGISTER = `import { register } from 'node:module';
register('./record-loads-hooks.mjs', import.meta.url);
`;
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.PAIRDB_TEST_LOAD_LOG, url + '\\n');
  return next(url, context);
}
`;

/** Writes the hook beside the bundle; returns the node arguments that install it. */
export function installLoadRecorder(bundle: CliBundle): string[] {
  writeFileSync(path.join(bundle.dir, 'record-loads-hooks.mjs'), HOOKS);
  const register = path.join(bundle.dir, 'record-loads.mjs');
  writeFileSync(register, REGISTER);
  return ['--import', register];
}

/** The sources (workspace-relative, e.g. node_modules/@grpc/grpc-js/...) of the files logged. */
export function loadedSources(bundle: CliBundle, log: string): Set<string> {
  const sources = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    if (!url.startsWith('file:')) continue;
    const file = fileURLToPath(url);
    if (!file.startsWith(bundle.dir) || !file.endsWith('.js')) {
      sources.add(path.relative(WORKSPACE_ROOT, file));
      continue;
    }
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      sources.add(path.relative(WORKSPACE_ROOT, path.resolve(path.dirname(file), source)));
    }
  }
  return sources;
}

/** The npm packages among the sources: "@grpc/grpc-js", "commander", ... */
export function packagesOf(sources: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const source of sources) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
    if (match) names.add(match[1]!);
  }
  return names;
}
