import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '@pairdb/service-runtime';
import { parse as parseYaml } from 'yaml';
import { coordinatorConfigSchema, loadCoordinatorConfig } from '../src/config';

const EXAMPLE = path.resolve(__dirname, '../config.example.yaml');

/** Dotted paths of every leaf of a parsed YAML or config tree. */
function leafPaths(tree: unknown, prefix = ''): string[] {
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) return [prefix];
  return Object.entries(tree).flatMap(([name, value]) =>
    leafPaths(value, prefix === '' ? name : `${prefix}.${name}`),
  );
}

describe('coordinator configuration', () => {
  it('config.example.yaml states exactly the defaults', () => {
    expect(loadCoordinatorConfig(EXAMPLE, {})).toEqual(coordinatorConfigSchema.parse({}));
  });

  // A key the schema does not know would be dropped silently: an example naming one documents a
  // setting that does nothing.
  it('config.example.yaml names every field and no other', () => {
    const example = leafPaths(parseYaml(readFileSync(EXAMPLE, 'utf8'))).sort();
    expect(example).toEqual(leafPaths(coordinatorConfigSchema.parse({})).sort());
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

  it('takes membership.lease_ms as a duration and refuses one too short, naming the field', () => {
    expect(loadCoordinatorConfig(undefined, {}).membership.lease_ms).toBe(15_000);
    expect(
      loadCoordinatorConfig(undefined, { PAIRDB_MEMBERSHIP_LEASE_MS: '2s' }).membership.lease_ms,
    ).toBe(2_000);
    expect(() => loadCoordinatorConfig(undefined, { PAIRDB_MEMBERSHIP_LEASE_MS: '100ms' })).toThrow(
      /membership\.lease_ms.*PAIRDB_MEMBERSHIP_LEASE_MS/,
    );
  });

  it('takes membership.driver_lease_ms as a duration and refuses one too short, naming it', () => {
    expect(loadCoordinatorConfig(undefined, {}).membership.driver_lease_ms).toBe(10_000);
    expect(
      loadCoordinatorConfig(undefined, { PAIRDB_MEMBERSHIP_DRIVER_LEASE_MS: '3s' }).membership
        .driver_lease_ms,
    ).toBe(3_000);
    expect(() =>
      loadCoordinatorConfig(undefined, { PAIRDB_MEMBERSHIP_DRIVER_LEASE_MS: '100ms' }),
    ).toThrow(/membership\.driver_lease_ms.*"100ms".*PAIRDB_MEMBERSHIP_DRIVER_LEASE_MS/);
  });

  it('takes anti_entropy.duty_cycle as a fraction and refuses 0 and 1.5, naming the field', () => {
    expect(
      loadCoordinatorConfig(undefined, { PAIRDB_ANTI_ENTROPY_DUTY_CYCLE: '0.1' }).anti_entropy
        .duty_cycle,
    ).toBe(0.1);
    for (const bad of ['0', '1.5', 'half']) {
      expect(() =>
        loadCoordinatorConfig(undefined, { PAIRDB_ANTI_ENTROPY_DUTY_CYCLE: bad }),
      ).toThrow(new RegExp(`anti_entropy\\.duty_cycle.*"${bad}".*PAIRDB_ANTI_ENTROPY_DUTY_CYCLE`));
    }
  });
});
