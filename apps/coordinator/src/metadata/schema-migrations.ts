// Applies the numbered SQL files of migrations/ at start-up.
//
// Laws:
// - Files are named NNN_words.sql (three or more digits); they apply in numeric order, each
//   exactly once per database, and each is recorded in schema_migrations with the SHA-256 of
//   its bytes.
// - Everything happens in ONE transaction that first takes the transaction-scoped advisory
//   lock SCHEMA_MIGRATION_LOCK_KEY, so of two coordinators starting at once the second waits,
//   then finds the files recorded and applies nothing. The lock is released by COMMIT or
//   ROLLBACK, and by PostgreSQL itself if the connection dies, so a crashed runner never
//   leaves it held. A failing file rolls back the whole run: the schema is never half-applied.
//   (So a migration file must not contain statements that refuse to run in a transaction,
//   such as CREATE INDEX CONCURRENTLY.)
// - A recorded file whose bytes changed stops start-up (SchemaChecksumMismatchError); so does
//   a new file numbered below one already applied. Recorded names with no file (a newer
//   coordinator migrated this database) are reported, not refused, so rolling back a
//   deployment still starts.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SchemaChecksumMismatchError, SchemaMigrationFileError } from './metadata-errors';
import { decodeText } from './sql-values';
import type { SqlExecutor, SqlQueryable } from './sql-executor';

/** The advisory-lock key of schema migrations: the bytes "pairdb" followed by 0x0001. */
export const SCHEMA_MIGRATION_LOCK_KEY = 0x7061697264620001n;
/** The first migration; a folder holding it is taken to be the migrations folder. */
export const FIRST_MIGRATION_FILE = '001_initial_schema.sql';

const MIGRATION_FILE_NAME = /^(\d{3,})_[a-z0-9_]+\.sql$/;

export interface SchemaMigrationFile {
  name: string;
  number: number;
  sql: string;
  /** SHA-256 of the file's bytes, lowercase hex. */
  checksum: string;
}

export interface SchemaMigrationReport {
  /** Files this run applied, in order. */
  applied: string[];
  /** Files found already recorded (with matching checksums). */
  alreadyApplied: string[];
  /** Recorded names with no file here: the database was migrated by a newer coordinator. */
  unknown: string[];
}

export interface SchemaMigrationOptions {
  /** Folder of the NNN_*.sql files. Default: locateMigrationsDir(). */
  migrationsDir?: string;
}

/**
 * Where the migrations are when no folder is configured: `migrations/` beside the running
 * code (the production bundle: apps/coordinator/dist/migrations, copied there by the build),
 * else the nearest `migrations/` holding 001_initial_schema.sql above it (the repo root when
 * running from sources).
 */
export function locateMigrationsDir(startDir: string = __dirname): string {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, 'migrations');
    if (existsSync(path.join(candidate, FIRST_MIGRATION_FILE))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new SchemaMigrationFileError(
        path.join(startDir, 'migrations'),
        `no migrations folder holding ${FIRST_MIGRATION_FILE} here or above; ` +
          'set the migrations directory explicitly',
      );
    }
    dir = parent;
  }
}

/** Reads and orders the migration files of `dir`; refuses badly named or duplicate ones. */
export function readSchemaMigrationFiles(dir: string): SchemaMigrationFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.sql'));
  } catch (error) {
    throw new SchemaMigrationFileError(dir, `cannot read the folder (${String(error)})`);
  }
  const files = names.map((name) => {
    const match = MIGRATION_FILE_NAME.exec(name);
    if (!match) {
      throw new SchemaMigrationFileError(
        path.join(dir, name),
        'a migration file is named NNN_lowercase_words.sql',
      );
    }
    const bytes = readFileSync(path.join(dir, name));
    const checksum = createHash('sha256').update(bytes).digest('hex');
    return { name, number: Number(match[1]), sql: bytes.toString('utf8'), checksum };
  });
  files.sort((a, b) => a.number - b.number);
  for (let index = 1; index < files.length; index++) {
    if (files[index]!.number === files[index - 1]!.number) {
      throw new SchemaMigrationFileError(
        path.join(dir, files[index]!.name),
        `has the same number as ${files[index - 1]!.name}`,
      );
    }
  }
  if (files.length === 0) throw new SchemaMigrationFileError(dir, 'holds no .sql migration');
  return files;
}

/** Brings the database schema up to date; see the laws at the top of this file. */
export async function runSchemaMigrations(
  executor: SqlExecutor,
  options: SchemaMigrationOptions = {},
): Promise<SchemaMigrationReport> {
  const dir = options.migrationsDir ?? locateMigrationsDir();
  const files = readSchemaMigrationFiles(dir);
  return executor.transaction(async (transaction) => {
    await transaction.query('SELECT pg_advisory_xact_lock($1::bigint)', [
      SCHEMA_MIGRATION_LOCK_KEY.toString(),
    ]);
    await transaction.executeScript(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        name TEXT PRIMARY KEY,
        checksum TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    const recorded = await recordedChecksums(transaction);
    const pending = checkRecorded(dir, files, recorded);
    for (const file of pending) {
      await transaction.executeScript(file.sql);
      await transaction.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
        file.name,
        file.checksum,
      ]);
    }
    const known = new Set(files.map((file) => file.name));
    return {
      applied: pending.map((file) => file.name),
      alreadyApplied: files.filter((file) => recorded.has(file.name)).map((file) => file.name),
      unknown: [...recorded.keys()].filter((name) => !known.has(name)).sort(),
    };
  });
}

async function recordedChecksums(transaction: SqlQueryable): Promise<Map<string, string>> {
  const rows = await transaction.query('SELECT name, checksum FROM schema_migrations');
  return new Map(
    rows.map((row) => [decodeText(row.name, 'name'), decodeText(row.checksum, 'checksum')]),
  );
}

/** Verifies recorded files and returns the pending ones, in order. */
function checkRecorded(
  dir: string,
  files: readonly SchemaMigrationFile[],
  recorded: ReadonlyMap<string, string>,
): SchemaMigrationFile[] {
  let highestRecorded = -1;
  for (const file of files) {
    const checksum = recorded.get(file.name);
    if (checksum === undefined) continue;
    if (checksum !== file.checksum) {
      throw new SchemaChecksumMismatchError(file.name, checksum, file.checksum);
    }
    highestRecorded = file.number;
  }
  const pending = files.filter((file) => !recorded.has(file.name));
  const outOfOrder = pending.find((file) => file.number < highestRecorded);
  if (outOfOrder) {
    throw new SchemaMigrationFileError(
      path.join(dir, outOfOrder.name),
      'is numbered below a migration already applied; give it the next free number',
    );
  }
  return pending;
}
