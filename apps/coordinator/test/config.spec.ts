import * as path from 'node:path';
import { ConfigError } from '@pairdb/service-runtime';
import { coordinatorConfigSchema, loadCoordinatorConfig } from '../src/config';

const EXAMPLE = path.resolve(__dirname, '../config.example.yaml');

describe('coordinator configuration', () => {
  it('config.example.yaml states exactly the defaults', () => {
    expect(loadCoordinatorConfig(EXAMPLE, {})).toEqual(coordinatorConfigSchema.parse({}));
  });

  it('PAIRDB_PG_URL and PAIRDB_REDIS_URL override the file', () => {
    const config = loadCoordinatorConfig(EXAMPLE, {
      PAIRDB_PG_URL: 'postgres://db/pairdb',
      PAIRDB_REDIS_URL: 'redis://cache:6379',
      PAIRDB_CONSISTENCY_WRITE_TIMEOUT: '750ms',
    });
    expect(config.database.url).toBe('postgres://db/pairdb');
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(config.consistency.write_timeout).toBe(750);
  });

  it('names the field and value of a bad consistency level', () => {
    expect(() =>
      loadCoordinatorConfig(undefined, { PAIRDB_CONSISTENCY_DEFAULT_LEVEL: 'most' }),
    ).toThrow(ConfigError);
    expect(() =>
      loadCoordinatorConfig(undefined, { PAIRDB_CONSISTENCY_DEFAULT_LEVEL: 'most' }),
    ).toThrow(/consistency\.default_level.*"most".*PAIRDB_CONSISTENCY_DEFAULT_LEVEL/);
  });
});
