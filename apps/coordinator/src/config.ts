// Coordinator configuration: the seed's config.yaml shape, overridden by PAIRDB_* variables
// (PAIRDB_PG_URL and PAIRDB_REDIS_URL too). With no database url/host the metadata lives in an
// embedded PostgreSQL (PGlite) under data_dir; with no redis url/host idempotency records live
// in this process.
import { decimal, durationMs, flag, integer, loadConfig, text } from '@pairdb/service-runtime';
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import { z } from 'zod';
import { DUTY_CYCLE_MAX, DUTY_CYCLE_MIN } from './anti-entropy/pacing';
import { DRIVER_LEASE_MS_DEFAULT } from './membership/migration-driver';
import { VIRTUAL_NODES_DEFAULT } from './metadata';

/** Shortest coordinator lease: a heartbeat (a third of it) must fit a database round trip. */
export const COORDINATOR_LEASE_MS_MIN = 500;
/** Longest: a crashed coordinator's id (and every migration barrier) waits this long. */
export const COORDINATOR_LEASE_MS_MAX = 10 * 60_000;
/** Shortest migration driver lease: renewed every third of it, like the coordinator lease. */
export const DRIVER_LEASE_MS_MIN = 500;
/** Longest: a crashed driver's migration waits this long for another coordinator to resume it. */
export const DRIVER_LEASE_MS_MAX = 10 * 60_000;

/** Shortest pause between anti-entropy passes: an idle cluster still leaves CPU to requests. */
export const ANTI_ENTROPY_PASS_INTERVAL_MS_MIN = 100;
/** Longest: a week; anything longer is a unit mistake. */
export const ANTI_ENTROPY_PASS_INTERVAL_MS_MAX = 7 * 24 * 3_600_000;
/** Ranges compared at once: each holds a scan of every owner's differing buckets in memory. */
export const ANTI_ENTROPY_RANGES_IN_FLIGHT_MAX = 64;

const port = (defaultPort: number) => integer(defaultPort, { min: 0, max: 65_535 });

export const coordinatorConfigSchema = z.object({
  server: z
    .object({
      host: text('0.0.0.0'),
      port: port(50051),
      node_id: text('coordinator-1'),
      shutdown_timeout: durationMs('30s'),
    })
    .prefault({}),
  http: z.object({ host: text('0.0.0.0'), port: port(8080) }).prefault({}),
  data_dir: text('./data/coordinator'),
  database: z
    .object({
      url: text(''),
      host: text(''),
      port: port(5432),
      database: text('pairdb_metadata'),
      user: text('coordinator'),
      password: text(''),
      max_connections: integer(50, { min: 1, max: 10_000 }),
      min_connections: integer(10, { min: 0, max: 10_000 }),
      conn_max_lifetime: durationMs('30m'),
    })
    .prefault({}),
  redis: z
    .object({
      url: text(''),
      host: text(''),
      port: port(6379),
      password: text(''),
      db: integer(0, { min: 0, max: 1024 }),
      max_retries: integer(3, { min: 0, max: 100 }),
    })
    .prefault({}),
  hash_ring: z
    .object({
      /** Virtual nodes of a storage node added without a count. */
      virtual_nodes: integer(VIRTUAL_NODES_DEFAULT, { min: 1, max: VIRTUAL_NODES_MAX }),
      update_interval: durationMs('30s'),
    })
    .prefault({}),
  membership: z
    .object({
      /**
       * The coordinator lease (docs/architecture.md#membership-metadata): renewed every third
       * of it; a restarted coordinator may wait this long for its old lease to lapse, and a
       * migration barrier this long for a coordinator cut off from the metadata store. One
       * that only missed a NOTIFY keeps its lease and is waited for until its next ring refresh
       * (hash_ring.update_interval; ring changes otherwise arrive at once).
       */
      lease_ms: durationMs(15_000).pipe(
        z.number().min(COORDINATOR_LEASE_MS_MIN).max(COORDINATOR_LEASE_MS_MAX),
      ),
      /**
       * The migration driver lease (docs/architecture.md#membership-and-migrations), default
       * 10 s: renewed every third of it; a driver that stops renewing (killed, frozen) loses
       * its migration to another coordinator this long after its last renewal.
       */
      driver_lease_ms: durationMs(DRIVER_LEASE_MS_DEFAULT).pipe(
        z.number().min(DRIVER_LEASE_MS_MIN).max(DRIVER_LEASE_MS_MAX),
      ),
    })
    .prefault({}),
  consistency: z
    .object({
      default_level: text('quorum', ['one', 'quorum', 'all']),
      write_timeout: durationMs('5s'),
      read_timeout: durationMs('3s'),
    })
    .prefault({}),
  cache: z
    .object({
      tenant_config_ttl: durationMs('5m'),
      max_size: integer(10_000, { min: 1, max: 10_000_000 }),
    })
    .prefault({}),
  idempotency: z
    .object({
      ttl: durationMs('24h'),
      memory_max_entries: integer(100_000, { min: 1, max: 100_000_000 }),
    })
    .prefault({}),
  limits: z
    .object({
      key_bytes_max: integer(1024, { min: 1, max: 64 * 1024 }),
      value_bytes_max: integer(1024 * 1024, { min: 1, max: 64 * 1024 * 1024 }),
    })
    .prefault({}),
  repair: z
    .object({
      queue_max: integer(10_000, { min: 1, max: 10_000_000 }),
      workers: integer(4, { min: 1, max: 256 }),
    })
    .prefault({}),
  /**
   * Background anti-entropy (docs/architecture.md#anti-entropy). One coordinator at a time
   * runs passes, holding a lease as long as membership.driver_lease_ms.
   */
  anti_entropy: z
    .object({
      /** Default true; tests that need a replica left stale turn it off. */
      enabled: flag(true),
      /**
       * Pause between passes, default 10 s: a local cluster of 10,000 keys heals within a
       * minute of a node coming back empty. Unchanged replicas compare by the nodes' incremental
       * digests, with no scan (docs/architecture.md#anti-entropy); a replica rebuilding its digests
       * after a restart is scanned until it is done.
       */
      pass_interval: durationMs('10s').pipe(
        z.number().min(ANTI_ENTROPY_PASS_INTERVAL_MS_MIN).max(ANTI_ENTROPY_PASS_INTERVAL_MS_MAX),
      ),
      /** Ranges compared at once, default 2: each range costs a scan on every owner. */
      ranges_in_flight: integer(2, { min: 1, max: ANTI_ENTROPY_RANGES_IN_FLIGHT_MAX }),
      /**
       * Share of each lane's wall time spent comparing ranges, default 0.25: after a range that
       * took t, the lane rests t * (1 - duty_cycle) / duty_cycle (anti-entropy/pacing.ts). 1
       * turns pacing off. Production: 0.05-0.1, with pass_interval minutes to an hour.
       */
      duty_cycle: decimal(0.25, { min: DUTY_CYCLE_MIN, max: DUTY_CYCLE_MAX }),
    })
    .prefault({}),
  metrics: z
    .object({
      enabled: flag(true),
      host: text('0.0.0.0'),
      port: port(9090),
      path: text('/metrics'),
    })
    .prefault({}),
  logging: z
    .object({
      level: text('info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
      format: text('auto', ['auto', 'json', 'console', 'pretty']),
    })
    .prefault({}),
});

export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;

export function loadCoordinatorConfig(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
): CoordinatorConfig {
  return loadConfig(coordinatorConfigSchema, {
    file,
    env,
    aliases: {
      PAIRDB_PG_URL: 'database.url',
      PAIRDB_REDIS_URL: 'redis.url',
      PAIRDB_NODE_ID: 'server.node_id',
      PAIRDB_DATA_DIR: 'data_dir',
    },
  });
}
