// Storage node configuration: YAML (see config.example.yaml) overridden by PAIRDB_* variables.
import { durationMs, flag, integer, loadConfig, sizeBytes, text } from '@pairdb/service-runtime';
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import { z } from 'zod';
import { WRITE_QUEUE_BYTES_MAX_DEFAULT, WRITE_QUEUE_LENGTH_MAX_DEFAULT } from './engine';
import { KEY_BYTES_MAX_DEFAULT, VALUE_BYTES_MAX_DEFAULT } from './versions/validation';

const port = (defaultPort: number) => integer(defaultPort, { min: 0, max: 65_535 });

export const storageNodeConfigSchema = z.object({
  server: z
    .object({
      node_id: text('storage-node-1'),
      host: text('0.0.0.0'),
      port: port(50052),
      shutdown_timeout: durationMs('30s'),
    })
    .prefault({}),
  http: z.object({ host: text('0.0.0.0'), port: port(9091) }).prefault({}),
  storage: z
    .object({
      data_dir: text('./data/storage-node'),
      sync_policy: text('always', ['always', 'interval', 'none']),
      sync_interval: durationMs('10ms'),
      memtable_bytes_max: sizeBytes('64MiB'),
      block_cache_bytes: sizeBytes('32MiB'),
      max_open_files: integer(512, { min: 16, max: 65_536 }),
      tombstone_grace: durationMs('10d'),
      tombstone_purge_interval: durationMs('1m'),
      disk_free_bytes_min: sizeBytes('64MiB'),
      write_queue_length_max: integer(WRITE_QUEUE_LENGTH_MAX_DEFAULT, { min: 1, max: 1_000_000 }),
      write_queue_bytes_max: sizeBytes(WRITE_QUEUE_BYTES_MAX_DEFAULT),
    })
    .prefault({}),
  limits: z
    .object({
      key_bytes_max: integer(KEY_BYTES_MAX_DEFAULT, { min: 1, max: 64 * 1024 }),
      value_bytes_max: sizeBytes(VALUE_BYTES_MAX_DEFAULT),
      vector_entries_max: integer(32, { min: 1, max: 1024 }),
      siblings_max: integer(16, { min: 1, max: 1024 }),
    })
    .prefault({}),
  hints: z
    .object({
      max_age: durationMs('3h'),
      delivery_interval: durationMs('1s'),
    })
    .prefault({}),
  logging: z
    .object({
      level: text('info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
      format: text('auto', ['auto', 'json', 'pretty']),
    })
    .prefault({}),
  metrics: z.object({ enabled: flag(true) }).prefault({}),
  /**
   * Self-registration through a coordinator once serving (docs/architecture.md#deployment).
   * coordinator_address '' (the default) turns it off.
   */
  registration: z
    .object({
      /** host:port of a coordinator's gRPC API, e.g. coordinator.pairdb.svc:50051. */
      coordinator_address: text(''),
      /** The stable host name the coordinators reach this node at; required when registering. */
      advertise_host: text(''),
      /** Default 0: server.port. */
      advertise_port: port(0),
      /** Default 0: the coordinator's hash_ring.virtual_nodes. */
      virtual_nodes: integer(0, { min: 0, max: VIRTUAL_NODES_MAX }),
      /** First pause after a failed attempt, default 500 ms; doubles up to backoff_max. */
      backoff_initial: durationMs('500ms'),
      /** Longest pause between attempts, default 30 s. */
      backoff_max: durationMs('30s'),
    })
    .prefault({})
    .superRefine((registration, ctx) => {
      if (registration.coordinator_address === '') return;
      if (!/^[^\s:]+:\d{1,5}$/.test(registration.coordinator_address)) {
        ctx.addIssue({
          code: 'custom',
          path: ['coordinator_address'],
          message: 'expected host:port, e.g. coordinator.pairdb.svc:50051',
        });
      }
      if (registration.advertise_host === '') {
        ctx.addIssue({
          code: 'custom',
          path: ['advertise_host'],
          message: 'is required when registration.coordinator_address is set',
        });
      }
      if (
        registration.backoff_initial < 1 ||
        registration.backoff_max < registration.backoff_initial
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['backoff_max'],
          message: 'expected backoff_initial of at least 1ms and backoff_max no shorter',
        });
      }
    }),
});

export type StorageNodeConfig = z.output<typeof storageNodeConfigSchema>;

export function loadStorageNodeConfig(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
): StorageNodeConfig {
  return loadConfig(storageNodeConfigSchema, {
    file,
    env,
    aliases: { PAIRDB_NODE_ID: 'server.node_id', PAIRDB_DATA_DIR: 'storage.data_dir' },
  });
}
