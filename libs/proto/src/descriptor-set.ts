import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const DESCRIPTOR_SET_FILE = 'pairdb.binpb';

/**
 * The binary FileDescriptorSet of every PairDB .proto file, written by `nx run proto:generate`.
 * App bundles carry a copy beside their entry file; sources read it from the gen folder.
 */
export function readDescriptorSet(searchDirs: readonly string[] = []): Buffer {
  const candidates = [...searchDirs, path.join(__dirname, 'gen'), __dirname];
  if (require.main?.filename) candidates.push(path.dirname(require.main.filename));
  for (const dir of candidates) {
    try {
      return readFileSync(path.join(dir, DESCRIPTOR_SET_FILE));
    } catch {
      // not here: try the next place
    }
  }
  throw new Error(
    `protocol descriptor set ${DESCRIPTOR_SET_FILE} not found in ${candidates.join(', ')}; ` +
      'run `npx nx run proto:generate`',
  );
}
