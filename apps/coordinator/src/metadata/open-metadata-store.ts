// Opening the metadata store at start-up: PostgreSQL when a URL or host is configured, else
// embedded PGlite under the data dir (docs/architecture.md#metadata); the schema migrations run
// first in both cases, so a store handed out is always on the current schema.
import { type MetadataStore } from './metadata-store';
import { openPgliteExecutor } from './pglite-executor';
import { createPostgresExecutor, type PostgresConnectionOptions } from './postgres-executor';
import { runSchemaMigrations, type SchemaMigrationReport } from './schema-migrations';
import { SqlMetadataStore } from './sql-metadata-store';
import type { SqlExecutor } from './sql-executor';

export interface MetadataStoreOptions {
  /** The `database` section; used when it names a URL or a host, else the embedded store. */
  postgres?: PostgresConnectionOptions;
  /** Directory of the embedded database (for instance `<data dir>/metadata`). */
  embeddedDataDir?: string;
  /** Folder of the NNN_*.sql files. Default: see locateMigrationsDir(). */
  migrationsDir?: string;
}

export interface OpenedMetadataStore {
  store: MetadataStore;
  /** 'postgres' or 'pglite'. */
  kind: string;
  migrations: SchemaMigrationReport;
}

export async function openMetadataStore(
  options: MetadataStoreOptions,
): Promise<OpenedMetadataStore> {
  const postgres = options.postgres;
  if (postgres && (postgres.url || postgres.host)) {
    return openPostgresMetadataStore(postgres, options.migrationsDir);
  }
  if (options.embeddedDataDir === undefined) {
    throw new Error('metadata store: neither a PostgreSQL url/host nor an embedded data dir');
  }
  return openEmbeddedMetadataStore(options.embeddedDataDir, options.migrationsDir);
}

/** PostgreSQL through a pool; throws MetadataUnavailableError when it cannot be reached. */
export function openPostgresMetadataStore(
  options: PostgresConnectionOptions,
  migrationsDir?: string,
): Promise<OpenedMetadataStore> {
  return migrated(createPostgresExecutor(options), migrationsDir);
}

/** PGlite persisted under `dataDir` (created when missing); undefined keeps it in memory. */
export async function openEmbeddedMetadataStore(
  dataDir: string | undefined,
  migrationsDir?: string,
): Promise<OpenedMetadataStore> {
  return migrated(await openPgliteExecutor({ dataDir }), migrationsDir);
}

async function migrated(
  executor: SqlExecutor,
  migrationsDir: string | undefined,
): Promise<OpenedMetadataStore> {
  try {
    const migrations = await runSchemaMigrations(executor, { migrationsDir });
    return { store: new SqlMetadataStore(executor), kind: executor.kind, migrations };
  } catch (error) {
    await executor.close().catch(() => undefined);
    throw error;
  }
}
