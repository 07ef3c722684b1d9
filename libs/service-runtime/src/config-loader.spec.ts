import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { durationMs, flag, integer, sizeBytes, text } from './config-fields';
import { ConfigError, loadConfig } from './config-loader';

const schema = z.object({
  server: z
    .object({
      host: text('0.0.0.0'),
      port: integer(50051, { min: 0, max: 65535 }),
      shutdown_timeout: durationMs('30s'),
    })
    .prefault({}),
  database: z.object({ url: text('') }).prefault({}),
  engine: z
    .object({ memtable_bytes_max: sizeBytes('64MiB'), sync: text('always', ['always', 'none']) })
    .prefault({}),
  metrics: z.object({ enabled: flag(true) }).prefault({}),
});

function yamlFile(content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pairdb-config-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, content);
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives every default with no file and no environment', () => {
    expect(loadConfig(schema, { env: {} })).toEqual({
      server: { host: '0.0.0.0', port: 50051, shutdown_timeout: 30_000 },
      database: { url: '' },
      engine: { memtable_bytes_max: 64 * 1024 * 1024, sync: 'always' },
      metrics: { enabled: true },
    });
  });

  it('lets the environment override the YAML file field by field', () => {
    const file = yamlFile(
      'server:\n  port: 6000\n  shutdown_timeout: 5s\nengine:\n  memtable_bytes_max: 4MiB\n',
    );
    const config = loadConfig(schema, {
      file,
      env: { PAIRDB_SERVER_PORT: '7000', PAIRDB_METRICS_ENABLED: 'false', UNRELATED: 'x' },
    });
    expect(config.server).toEqual({ host: '0.0.0.0', port: 7000, shutdown_timeout: 5_000 });
    expect(config.engine.memtable_bytes_max).toBe(4 * 1024 * 1024);
    expect(config.metrics.enabled).toBe(false);
  });

  it('maps an alias such as PAIRDB_PG_URL onto its field', () => {
    const config = loadConfig(schema, {
      env: { PAIRDB_PG_URL: 'postgres://db/x' },
      aliases: { PAIRDB_PG_URL: 'database.url' },
    });
    expect(config.database.url).toBe('postgres://db/x');
  });

  it('names the field, the value and the environment variable of a bad override', () => {
    const error = configError(() => loadConfig(schema, { env: { PAIRDB_SERVER_PORT: '70000' } }));
    expect(error.issues).toEqual([
      expect.objectContaining({
        field: 'server.port',
        value: '70000',
        source: 'environment PAIRDB_SERVER_PORT',
      }),
    ]);
    expect(error.message).toContain('server.port');
    expect(error.message).toContain('"70000"');
  });

  it('names the file for a bad value written in YAML', () => {
    const file = yamlFile('server:\n  shutdown_timeout: soon\nengine:\n  sync: sometimes\n');
    const error = configError(() => loadConfig(schema, { file, env: {} }));
    expect(error.issues.map((i) => [i.field, i.value, i.source])).toEqual([
      ['server.shutdown_timeout', 'soon', file],
      ['engine.sync', 'sometimes', file],
    ]);
  });

  it('refuses a misspelt key or section in the file, naming each with its value', () => {
    const file = yamlFile('server:\n  prot: 6000\nengnie:\n  sync: none\n');
    const error = configError(() => loadConfig(schema, { file, env: {} }));
    expect(error.issues.map((i) => [i.field, i.value, i.source])).toEqual([
      ['server.prot', 6000, file],
      ['engnie.sync', 'none', file],
    ]);
    expect(error.message).toContain('server.prot: is not a known setting');
  });

  it('reports a missing file and a file that is not a mapping', () => {
    expect(
      configError(() => loadConfig(schema, { file: '/nonexistent/pairdb.yaml' })).issues[0],
    ).toEqual(expect.objectContaining({ field: 'file', value: '/nonexistent/pairdb.yaml' }));
    const file = yamlFile('- just\n- a list\n');
    expect(configError(() => loadConfig(schema, { file })).message).toContain('mapping');
  });
});

describe('config fields', () => {
  it('parses durations with units and rejects garbage', () => {
    const field = durationMs('1s');
    expect(field.parse('250ms')).toBe(250);
    expect(field.parse('3h')).toBe(10_800_000);
    expect(field.parse(42)).toBe(42);
    expect(field.parse(undefined)).toBe(1_000);
    expect(field.safeParse('5 fortnights').success).toBe(false);
  });

  it('parses sizes in binary and decimal units', () => {
    const field = sizeBytes(0);
    expect(field.parse('1KiB')).toBe(1024);
    expect(field.parse('10MB')).toBe(10_000_000);
    expect(field.safeParse('-1').success).toBe(false);
  });

  it('rejects an integer outside its range and a non-integer', () => {
    const field = integer(3, { min: 1, max: 5 });
    expect(field.parse('5')).toBe(5);
    expect(field.safeParse(6).success).toBe(false);
    expect(field.safeParse('2.5').success).toBe(false);
  });
});
