import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadStorageNodeConfig, storageNodeConfigSchema } from '../../src/config';

const EXAMPLE = path.resolve(__dirname, '../../config.example.yaml');

/** Dotted paths of every leaf of a parsed YAML or config tree. */
function leafPaths(tree: unknown, prefix = ''): string[] {
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) return [prefix];
  return Object.entries(tree).flatMap(([name, value]) =>
    leafPaths(value, prefix === '' ? name : `${prefix}.${name}`),
  );
}

describe('storage node configuration', () => {
  it('config.example.yaml states exactly the defaults', () => {
    expect(loadStorageNodeConfig(EXAMPLE, {})).toEqual(storageNodeConfigSchema.parse({}));
  });

  // A key the schema does not know would be dropped silently: an example naming one documents a
  // setting that does nothing.
  it('config.example.yaml names every field and no other', () => {
    const example = leafPaths(parseYaml(readFileSync(EXAMPLE, 'utf8'))).sort();
    expect(example).toEqual(leafPaths(storageNodeConfigSchema.parse({})).sort());
  });

  it('names the field, value and variable of a bad sync policy', () => {
    expect(() =>
      loadStorageNodeConfig(undefined, { PAIRDB_STORAGE_SYNC_POLICY: 'sometimes' }),
    ).toThrow(/storage\.sync_policy.*"sometimes".*PAIRDB_STORAGE_SYNC_POLICY/);
  });
});
