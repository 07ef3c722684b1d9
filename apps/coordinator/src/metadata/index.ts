// The coordinator's metadata store: tenants, storage nodes, the ring version, data migrations
// and the coordinator registry, on PostgreSQL or embedded PGlite. Request paths use MetadataStore only.
export * from './metadata-errors';
export * from './metadata-store';
export {
  openEmbeddedMetadataStore,
  openMetadataStore,
  openPostgresMetadataStore,
  type MetadataStoreOptions,
  type OpenedMetadataStore,
} from './open-metadata-store';
export { POSTGRES_DEFAULTS, type PostgresConnectionOptions } from './postgres-executor';
export {
  FIRST_MIGRATION_FILE,
  SCHEMA_MIGRATION_LOCK_KEY,
  locateMigrationsDir,
  runSchemaMigrations,
  type SchemaMigrationReport,
} from './schema-migrations';
export { SERIALIZABLE_ATTEMPTS_MAX } from './serializable-transaction';
export { SqlMetadataStore } from './sql-metadata-store';
export { TOKEN_MAX } from './sql-values';
