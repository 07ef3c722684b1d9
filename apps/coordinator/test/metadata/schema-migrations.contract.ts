// The schema-migration runner against a real database (PGlite, PostgreSQL): ordering,
// exactly-once under concurrency, checksum refusal, all-or-nothing runs.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  SchemaChecksumMismatchError,
  SchemaMigrationFileError,
  runSchemaMigrations,
} from '../../src/metadata';
import type { SqlExecutor } from '../../src/metadata/sql-executor';

export interface FreshDatabase {
  /** Two executors on the same new, empty database (the same object where only one exists). */
  first: SqlExecutor;
  second: SqlExecutor;
}

const CREATE_A = 'CREATE TABLE a (x INTEGER);\n';
// Not idempotent: applied twice it would leave two rows (and fail on CREATE TABLE first).
const CREATE_B_AND_FILL_A = 'CREATE TABLE b (y INTEGER);\nINSERT INTO a (x) VALUES (1);\n';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function count(executor: SqlExecutor, table: string): Promise<number> {
  const rows = await executor.query(`SELECT count(*)::int AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

async function tableExists(executor: SqlExecutor, table: string): Promise<boolean> {
  const rows = await executor.query('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
  return rows[0]!.present === true;
}

export function schemaMigrationsContract(freshDatabase: () => Promise<FreshDatabase>): void {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pairdb-migrations-'));
    writeFileSync(path.join(dir, '001_create_a.sql'), CREATE_A);
    writeFileSync(path.join(dir, '002_create_b_and_fill_a.sql'), CREATE_B_AND_FILL_A);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies files in order once and records each name with its checksum', async () => {
    const { first } = await freshDatabase();
    const report = await runSchemaMigrations(first, { migrationsDir: dir });
    expect(report).toEqual({
      applied: ['001_create_a.sql', '002_create_b_and_fill_a.sql'],
      alreadyApplied: [],
      unknown: [],
    });
    const recorded = await first.query(
      'SELECT name, checksum FROM schema_migrations ORDER BY name',
    );
    expect(recorded).toEqual([
      { name: '001_create_a.sql', checksum: sha256(CREATE_A) },
      { name: '002_create_b_and_fill_a.sql', checksum: sha256(CREATE_B_AND_FILL_A) },
    ]);
    const again = await runSchemaMigrations(first, { migrationsDir: dir });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(report.applied);
    expect(await count(first, 'a')).toBe(1);
  });

  it('applies each file exactly once when two runners start at the same time', async () => {
    const { first, second } = await freshDatabase();
    const reports = await Promise.all([
      runSchemaMigrations(first, { migrationsDir: dir }),
      runSchemaMigrations(second, { migrationsDir: dir }),
    ]);
    const applied = reports.flatMap((report) => report.applied).sort();
    expect(applied).toEqual(['001_create_a.sql', '002_create_b_and_fill_a.sql']);
    expect(reports.map((report) => report.applied.length).sort()).toEqual([0, 2]);
    expect(await count(first, 'a')).toBe(1);
    expect(await count(first, 'schema_migrations')).toBe(2);
  });

  it('refuses to start when an applied file changed, applying nothing newer', async () => {
    const { first } = await freshDatabase();
    await runSchemaMigrations(first, { migrationsDir: dir });
    const edited = `${CREATE_A}-- an innocent-looking comment\n`;
    appendFileSync(path.join(dir, '001_create_a.sql'), '-- an innocent-looking comment\n');
    writeFileSync(path.join(dir, '003_create_c.sql'), 'CREATE TABLE c (z INTEGER);\n');
    const running = runSchemaMigrations(first, { migrationsDir: dir });
    await expect(running).rejects.toBeInstanceOf(SchemaChecksumMismatchError);
    await expect(running).rejects.toMatchObject({
      fileName: '001_create_a.sql',
      recordedChecksum: sha256(CREATE_A),
      actualChecksum: sha256(edited),
    });
    expect(await tableExists(first, 'c')).toBe(false);
  });

  it('refuses a new file numbered below one already applied', async () => {
    const { first } = await freshDatabase();
    unlinkSync(path.join(dir, '001_create_a.sql'));
    writeFileSync(path.join(dir, '002_create_b_and_fill_a.sql'), 'CREATE TABLE b (y INTEGER);\n');
    await runSchemaMigrations(first, { migrationsDir: dir });
    writeFileSync(path.join(dir, '001_create_a.sql'), CREATE_A);
    await expect(runSchemaMigrations(first, { migrationsDir: dir })).rejects.toBeInstanceOf(
      SchemaMigrationFileError,
    );
    expect(await tableExists(first, 'a')).toBe(false);
  });

  it('rolls the whole run back when one file fails', async () => {
    const { first } = await freshDatabase();
    writeFileSync(path.join(dir, '003_broken.sql'), 'CREATE TABLE c (z INTEGER;\n');
    await expect(runSchemaMigrations(first, { migrationsDir: dir })).rejects.toThrow(/syntax/);
    expect(await tableExists(first, 'a')).toBe(false);
    expect(await tableExists(first, 'schema_migrations')).toBe(false);
    unlinkSync(path.join(dir, '003_broken.sql'));
    const report = await runSchemaMigrations(first, { migrationsDir: dir });
    expect(report.applied).toHaveLength(2);
  });

  it('reports recorded migrations it has no file for instead of refusing', async () => {
    const { first } = await freshDatabase();
    await runSchemaMigrations(first, { migrationsDir: dir });
    unlinkSync(path.join(dir, '002_create_b_and_fill_a.sql'));
    const report = await runSchemaMigrations(first, { migrationsDir: dir });
    expect(report).toEqual({
      applied: [],
      alreadyApplied: ['001_create_a.sql'],
      unknown: ['002_create_b_and_fill_a.sql'],
    });
  });
}
