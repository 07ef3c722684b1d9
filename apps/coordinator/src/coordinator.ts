// A coordinator process: metadata and idempotency stores, its lease on its id, the ring, the
// request paths, the gRPC server (CoordinatorService, health, reflection) and the HTTP health
// and metrics servers.
import * as path from 'node:path';
import {
  coordinatorV1,
  COORDINATOR_SERVICE_NAME,
  startGrpcServer,
  type GrpcServerHandle,
} from '@pairdb/proto';
import {
  livenessRoute,
  metricsRoute,
  readinessRoute,
  startHttpServer,
  type HttpServerHandle,
  type Logger,
} from '@pairdb/service-runtime';
import { HybridLogicalClock } from '@pairdb/vectorclock';
import { AdminService } from './admin-service';
import type { CoordinatorConfig } from './config';
import { createCoordinatorHandlers } from './grpc/coordinator-handlers';
import { StreamingReplicaTransport } from './grpc/storage-connections';
import { openIdempotencyStore, type IdempotencyStore } from './idempotency';
import { KeyValueService } from './key-value-service';
import { CoordinatorLease } from './membership/coordinator-lease';
import { openMetadataStore, type MetadataStore, type StorageNode } from './metadata';
import { CoordinatorMetrics } from './metrics';
import type { Consistency } from './paths/consistency';
import { IdempotentWrites } from './paths/idempotent-writes';
import { ReadPath } from './paths/read-path';
import { ReadRepairQueue } from './paths/read-repair';
import { WritePath } from './paths/write-path';
import { NodeHealth } from './replicas/node-health';
import type { ReplicaNode } from './replicas/replica-transport';
import { AntiEntropyMetrics } from './anti-entropy/anti-entropy-metrics';
import { AntiEntropyRunner } from './anti-entropy/anti-entropy-runner';
import { RepairService } from './repair-service';
import { StorageAdminClient } from './grpc/storage-admin-client';
import { MigrationDriver } from './membership/migration-driver';
import { MigrationMetrics } from './membership/migration-metrics';
import { followRingVersions } from './membership/ring-version-taking';
import { RequestsInFlight } from './routing/requests-in-flight';
import { RingRouter } from './routing/ring-router';
import { TenantCache } from './tenants/tenant-cache';

/** A registered node as the storage clients address it. */
function replicaNodeOf(node: StorageNode): ReplicaNode {
  return { nodeId: node.nodeId, address: `${node.host}:${node.port}` };
}

interface Parts {
  config: CoordinatorConfig;
  logger: Logger;
  metadata: MetadataStore;
  idempotency: IdempotencyStore;
  lease: CoordinatorLease;
  router: RingRouter;
  driver: MigrationDriver;
  /** Absent when anti_entropy.enabled is false. */
  antiEntropy: AntiEntropyRunner | undefined;
  storageAdmin: StorageAdminClient;
  transport: StreamingReplicaTransport;
  repairs: ReadRepairQueue;
  grpc: GrpcServerHandle;
  http: HttpServerHandle[];
  /** Set when a stop begins: readiness fails from then on, before the drain. */
  lifecycle: { draining: boolean };
}

export class Coordinator {
  private constructor(private readonly parts: Parts) {}

  get grpcPort(): number {
    return this.parts.grpc.port;
  }

  get httpPort(): number {
    return this.parts.http[0]!.port;
  }

  get metricsPort(): number {
    return this.parts.http[this.parts.http.length - 1]!.port;
  }

  /** This process's hold on its id; data requests may be served only while `lease.valid`. */
  get lease(): CoordinatorLease {
    return this.parts.lease;
  }

  static async start(config: CoordinatorConfig, logger: Logger): Promise<Coordinator> {
    const opened = await openMetadataStore({
      postgres: {
        url: config.database.url || undefined,
        host: config.database.host || undefined,
        port: config.database.port,
        database: config.database.database,
        user: config.database.user,
        password: config.database.password,
        maxConnections: config.database.max_connections,
        minConnections: config.database.min_connections,
        connMaxLifetimeMs: config.database.conn_max_lifetime,
      },
      embeddedDataDir: path.join(config.data_dir, 'metadata'),
    });
    const idempotency = openIdempotencyStore({
      redis: {
        url: config.redis.url || undefined,
        host: config.redis.host || undefined,
        port: config.redis.port,
        password: config.redis.password,
        db: config.redis.db,
        maxRetries: config.redis.max_retries,
      },
      memory: { maxEntries: config.idempotency.memory_max_entries },
    });
    logger.info({ metadata: opened.kind, idempotency: idempotency.kind }, 'stores open');
    // Created before the lease, which moves it past the high-water mark of earlier runs.
    const clock = new HybridLogicalClock(config.server.node_id);
    const router = new RingRouter(opened.store, logger, config.hash_ring.update_interval);
    // The version this coordinator has drained (ring-version-taking.ts); until that follows the
    // router, the version loaded at start, when nothing can be in flight yet.
    const taken = { version: (): number => router.ringVersion };
    const lease = new CoordinatorLease({
      store: opened.store,
      coordinatorId: config.server.node_id,
      address: `${config.server.host}:${config.server.port}`,
      leaseMs: config.membership.lease_ms,
      clock,
      takenRingVersion: () => taken.version(),
      logger,
    });
    try {
      await lease.start();
      return await Coordinator.assemble(config, logger, {
        metadata: opened.store,
        idempotency: idempotency.store,
        clock,
        lease,
        router,
        taken,
      });
    } catch (error) {
      await router.stop().catch(() => undefined);
      await lease.stop();
      await idempotency.store.close().catch(() => undefined);
      await opened.store.close().catch(() => undefined);
      throw error;
    }
  }

  private static async assemble(
    config: CoordinatorConfig,
    logger: Logger,
    opened: {
      metadata: MetadataStore;
      idempotency: IdempotencyStore;
      clock: HybridLogicalClock;
      lease: CoordinatorLease;
      router: RingRouter;
      taken: { version: () => number };
    },
  ): Promise<Coordinator> {
    const { metadata, idempotency, clock, lease, router } = opened;
    await router.start();
    await lease.recordTaken(router.ringVersion);
    const health = new NodeHealth();
    const inFlight = new RequestsInFlight();
    const reloadRing = () => router.refresh();
    const holder: { repairs?: ReadRepairQueue } = {};
    const metrics = new CoordinatorMetrics({
      ringNodes: () => router.size,
      ringVersion: () => router.ringVersion,
      repairQueue: () => holder.repairs?.queued ?? 0,
    });
    const transport = new StreamingReplicaTransport({
      onBatch: (items) => metrics.exchangeBatchItems.observe(items),
    });
    const repairs = new ReadRepairQueue({
      transport,
      timeoutMs: config.consistency.write_timeout,
      queueMax: config.repair.queue_max,
      workers: config.repair.workers,
      inFlight,
      events: {
        onTriggered: () => metrics.repairsTriggered.inc(),
        onDone: () => metrics.repairsDone.inc(),
        onDropped: () => metrics.repairsDropped.inc(),
        onFailed: (job, error) => {
          metrics.repairsFailed.inc();
          logger.debug(
            { node: job.node.nodeId, key: job.key, err: error.message },
            'read repair failed',
          );
        },
      },
    });
    holder.repairs = repairs;
    const tenants = new TenantCache(
      metadata,
      {
        ttlMs: config.cache.tenant_config_ttl,
        entriesMax: config.cache.max_size,
        ringAtLeast: (ringVersion) => router.catchUp(ringVersion),
      },
      {
        onHit: () => metrics.cacheHits.inc({ cache_type: 'tenant' }),
        onMiss: () => metrics.cacheMisses.inc({ cache_type: 'tenant' }),
      },
    );
    const taking = followRingVersions({
      router,
      inFlight,
      repairs,
      tenants,
      recordTaken: (version) => lease.recordTaken(version),
      logger,
    });
    opened.taken.version = () => taking.taken();
    const writes = new WritePath({
      actor: config.server.node_id,
      clock,
      placement: router,
      transport,
      health,
      timeoutMs: config.consistency.write_timeout,
      inFlight,
      reloadRing,
      events: {
        onHintSent: () => metrics.hintsSent.inc(),
        onHintFailed: (owner, error) => {
          metrics.hintsFailed.inc();
          logger.warn(
            { owner, err: error.message },
            'no stand-in took a hint; anti-entropy must heal it',
          );
        },
        onQuorumFailure: () => metrics.quorumFailures.inc(),
      },
    });
    const reads = new ReadPath({
      placement: router,
      transport,
      health,
      repairs,
      timeoutMs: config.consistency.read_timeout,
      inFlight,
      reloadRing,
      onQuorumFailure: () => metrics.quorumFailures.inc(),
    });
    const keyValues = new KeyValueService({
      tenants,
      writes,
      reads,
      idempotency: new IdempotentWrites(idempotency, {
        responseTtlMs: config.idempotency.ttl,
        waitMs: config.consistency.write_timeout + 1_000,
      }),
      limits: {
        keyBytesMax: config.limits.key_bytes_max,
        valueBytesMax: config.limits.value_bytes_max,
        defaultConsistency: config.consistency.default_level as Consistency,
      },
      ringSize: () => router.size,
      leaseValid: () => lease.valid,
      events: { onConflict: () => metrics.conflictsDetected.inc() },
    });
    const storageAdmin = new StorageAdminClient(config.consistency.write_timeout);
    const admin = new AdminService(
      metadata,
      tenants,
      async () => {
        await router.refresh();
        // A ring change here may have admitted a migration: drive it without waiting a poll.
        driver.wake();
      },
      {
        reachable: (node) => storageAdmin.reachable(replicaNodeOf(node)),
        health: (node, timeoutMs) => storageAdmin.health(replicaNodeOf(node), timeoutMs),
      },
      config.hash_ring.virtual_nodes,
    );
    const driver = new MigrationDriver(
      metadata,
      storageAdmin,
      new MigrationMetrics(metrics.registry),
      logger,
      { instanceId: lease.instanceId, leaseMs: config.membership.driver_lease_ms },
    );
    const antiEntropy = config.anti_entropy.enabled
      ? new AntiEntropyRunner(
          {
            store: metadata,
            storage: storageAdmin,
            views: router,
            metrics: new AntiEntropyMetrics(metrics.registry),
            logger: logger.child({ component: 'anti-entropy' }),
            inFlight,
            canServe: () => lease.valid,
          },
          {
            instanceId: lease.instanceId,
            leaseMs: config.membership.driver_lease_ms,
            passIntervalMs: config.anti_entropy.pass_interval,
            rangesInFlight: config.anti_entropy.ranges_in_flight,
            dutyCycle: config.anti_entropy.duty_cycle,
          },
        )
      : undefined;
    const lifecycle = { draining: false };
    const http = await Coordinator.startHttp(
      config,
      { metadata, idempotency, router, lifecycle },
      metrics,
    );
    let grpc: GrpcServerHandle;
    try {
      grpc = await startGrpcServer({
        host: config.server.host,
        port: config.server.port,
        service: coordinatorV1.CoordinatorServiceService,
        implementation: createCoordinatorHandlers({
          keyValues,
          admin,
          repairs: new RepairService(metadata, antiEntropy),
          metrics,
        }),
        serviceName: COORDINATOR_SERVICE_NAME,
      });
    } catch (error) {
      for (const server of http) await server.close();
      throw error;
    }
    const grpcPort = grpc.port;
    logger.info(
      {
        nodeId: config.server.node_id,
        grpcPort,
        httpPort: http[0]!.port,
        metricsPort: http[http.length - 1]!.port,
      },
      'coordinator serving',
    );
    driver.start();
    antiEntropy?.start();
    return new Coordinator({
      config,
      logger,
      metadata,
      idempotency,
      lease,
      router,
      driver,
      antiEntropy,
      storageAdmin,
      transport,
      repairs,
      grpc,
      http,
      lifecycle,
    });
  }

  private static async startHttp(
    config: CoordinatorConfig,
    checked: {
      metadata: MetadataStore;
      idempotency: IdempotencyStore;
      router: RingRouter;
      lifecycle: { draining: boolean };
    },
    metrics: CoordinatorMetrics,
  ): Promise<HttpServerHandle[]> {
    const { metadata, idempotency, router, lifecycle } = checked;
    const readiness = readinessRoute(async () => {
      if (lifecycle.draining) return { ready: false, checks: { lifecycle: 'shutting down' } };
      const checks: Record<string, string> = {};
      let ready = true;
      await metadata.ping().then(
        () => (checks['metadata'] = 'reachable'),
        (error: Error) => {
          ready = false;
          checks['metadata'] = error.message;
        },
      );
      await idempotency.ping().then(
        () => (checks['idempotency'] = 'reachable'),
        (error: Error) => {
          ready = false;
          checks['idempotency'] = error.message;
        },
      );
      checks['ring'] = `${router.size} storage nodes (version ${router.ringVersion})`;
      if (router.size === 0) ready = false;
      return { ready, checks };
    });
    const health = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      routes: { '/healthz': livenessRoute(), '/readyz': readiness },
    });
    if (!config.metrics.enabled) return [health];
    try {
      const metricsServer = await startHttpServer({
        host: config.metrics.host,
        port: config.metrics.port,
        routes: { [config.metrics.path]: metricsRoute(metrics.registry) },
      });
      return [health, metricsServer];
    } catch (error) {
      await health.close();
      throw error;
    }
  }

  /**
   * Fails readiness, stops accepting, drains in-flight requests and repairs, closes the stores.
   * The HTTP servers close last, so /readyz answers 503 for the whole drain.
   */
  async stop(): Promise<void> {
    const p = this.parts;
    p.logger.info('coordinator draining');
    p.lifecycle.draining = true;
    await p.grpc.drain(p.config.server.shutdown_timeout);
    await p.driver.stop();
    await p.antiEntropy?.stop();
    p.storageAdmin.close();
    await p.repairs.idle();
    await p.router.stop();
    await p.transport.close();
    await p.lease.stop();
    await p.idempotency.close();
    await p.metadata.close();
    for (const server of p.http) await server.close();
  }
}
