import * as path from 'node:path';
import { loadStorageNodeConfig, storageNodeConfigSchema } from '../../src/config';

const EXAMPLE = path.resolve(__dirname, '../../config.example.yaml');

describe('storage node configuration', () => {
  it('config.example.yaml states exactly the defaults', () => {
    expect(loadStorageNodeConfig(EXAMPLE, {})).toEqual(storageNodeConfigSchema.parse({}));
  });

  it('names the field, value and variable of a bad sync policy', () => {
    expect(() =>
      loadStorageNodeConfig(undefined, { PAIRDB_STORAGE_SYNC_POLICY: 'sometimes' }),
    ).toThrow(/storage\.sync_policy.*"sometimes".*PAIRDB_STORAGE_SYNC_POLICY/);
  });
});
