// Reading and finding migration files, without a database.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  FIRST_MIGRATION_FILE,
  SchemaMigrationFileError,
  locateMigrationsDir,
} from '../../src/metadata';
import { readSchemaMigrationFiles } from '../../src/metadata/schema-migrations';

describe('schema migration files', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pairdb-migration-files-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('orders files by number, not by name (010 after 009, 1000 after 999)', () => {
    for (const name of ['1000_last.sql', '010_ten.sql', '009_nine.sql', '999_big.sql']) {
      writeFileSync(path.join(dir, name), `-- ${name}\n`);
    }
    writeFileSync(path.join(dir, 'README.md'), 'not a migration');
    const names = readSchemaMigrationFiles(dir).map((file) => file.name);
    expect(names).toEqual(['009_nine.sql', '010_ten.sql', '999_big.sql', '1000_last.sql']);
  });

  it('refuses a .sql file without a number', () => {
    writeFileSync(path.join(dir, 'cleanup.sql'), '');
    expect(() => readSchemaMigrationFiles(dir)).toThrow(SchemaMigrationFileError);
    expect(() => readSchemaMigrationFiles(dir)).toThrow(/cleanup\.sql/);
  });

  it('refuses two files with the same number', () => {
    writeFileSync(path.join(dir, '002_a.sql'), '');
    writeFileSync(path.join(dir, '002_b.sql'), '');
    expect(() => readSchemaMigrationFiles(dir)).toThrow(/002_b\.sql.*002_a\.sql/);
  });

  it('refuses an empty or missing folder', () => {
    expect(() => readSchemaMigrationFiles(dir)).toThrow(/holds no \.sql migration/);
    expect(() => readSchemaMigrationFiles(path.join(dir, 'absent'))).toThrow(
      SchemaMigrationFileError,
    );
  });

  it('finds the repository migrations from the sources', () => {
    const found = locateMigrationsDir(path.join(__dirname, '../../src/metadata'));
    expect(found).toBe(path.resolve(__dirname, '../../../../migrations'));
    expect(readSchemaMigrationFiles(found)[0]!.name).toBe(FIRST_MIGRATION_FILE);
  });

  it('prefers migrations/ beside the bundle over any further up', () => {
    const bundleDir = path.join(dir, 'app', 'dist');
    for (const migrations of [path.join(dir, 'migrations'), path.join(bundleDir, 'migrations')]) {
      mkdirSync(migrations, { recursive: true });
      writeFileSync(path.join(migrations, FIRST_MIGRATION_FILE), '');
    }
    expect(locateMigrationsDir(bundleDir)).toBe(path.join(bundleDir, 'migrations'));
    expect(locateMigrationsDir(path.join(dir, 'app'))).toBe(path.join(dir, 'migrations'));
  });

  it('names the missing folder when none exists above', () => {
    expect(() => locateMigrationsDir(dir)).toThrow(SchemaMigrationFileError);
  });
});
