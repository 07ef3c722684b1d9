// A storage node process: the engine, the replica logic, the gRPC server (StorageService,
// health, reflection), the HTTP health/metrics server and the hint delivery loop.
import { statfsSync } from 'node:fs';
import {
  startGrpcServer,
  STORAGE_SERVICE_NAME,
  storageV1,
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
import type { StorageNodeConfig } from './config';
import { DigestIndex } from './digests/digest-index';
import { CorruptionError, Engine } from './engine';
import { NodeFence } from './fencing/node-fence';
import { NodeLayout } from './fencing/node-layout';
import { createStorageHandlers } from './grpc/storage-handlers';
import { GrpcHintSender } from './grpc/hint-sender';
import { OpenExchanges } from './grpc/open-exchanges';
import { HintDelivery } from './hints/hint-delivery';
import { HintStore } from './hints/hint-store';
import { StorageMetrics } from './metrics';
import { RangeDigests } from './ranges/range-digest';
import {
  startCoordinatorRegistration,
  type CoordinatorRegistration,
} from './registration/coordinator-registration';
import { Replica } from './replica';
import { RepairHorizons } from './tombstones/repair-horizons';
import { TombstonePurge } from './tombstones/tombstone-purge';
import { decodeDataKey } from './versions/engine-keys';
import { VersionStore } from './versions/version-store';

/** How long free disk space readings are reused for metrics and health. */
const DISK_READING_TTL_MS = 1_000;

export class StorageNode {
  private serving = false;
  private registration: CoordinatorRegistration | undefined;

  private constructor(
    readonly config: StorageNodeConfig,
    private readonly logger: Logger,
    private readonly engine: Engine,
    private readonly grpc: GrpcServerHandle,
    private readonly http: HttpServerHandle,
    private readonly hintDelivery: HintDelivery,
    private readonly hintSender: GrpcHintSender,
    private readonly exchanges: OpenExchanges,
    private readonly tombstonePurge: TombstonePurge,
    private readonly digestIndex: DigestIndex,
  ) {}

  get grpcPort(): number {
    return this.grpc.port;
  }

  get httpPort(): number {
    return this.http.port;
  }

  static async start(config: StorageNodeConfig, logger: Logger): Promise<StorageNode> {
    // The layout is read once the engine holds the directory lock; until then every tombstone
    // is held, as while a migration runs (docs/architecture.md#fencing).
    const ring: { layout?: NodeLayout } = {};
    const engine = await Engine.open({
      dir: config.storage.data_dir,
      syncPolicy: config.storage.sync_policy as 'always' | 'interval' | 'none',
      syncIntervalMs: config.storage.sync_interval,
      memtableBytesMax: config.storage.memtable_bytes_max,
      blockCacheBytes: config.storage.block_cache_bytes,
      maxOpenFiles: config.storage.max_open_files,
      tombstoneGraceMs: config.storage.tombstone_grace,
      tombstonesHeld: () => ring.layout?.migrationRunning ?? true,
      diskFreeBytesMin: config.storage.disk_free_bytes_min,
      writeQueueLengthMax: config.storage.write_queue_length_max,
      writeQueueBytesMax: config.storage.write_queue_bytes_max,
      logger,
    });
    try {
      return await StorageNode.startServices(config, logger, engine, ring);
    } catch (error) {
      await engine.close();
      throw error;
    }
  }

  private static async startServices(
    config: StorageNodeConfig,
    logger: Logger,
    engine: Engine,
    ring: { layout?: NodeLayout },
  ): Promise<StorageNode> {
    const disk = diskReader(config.storage.data_dir);
    const hints = HintStore.open(engine);
    // Handlers and health checks are built before the node object they report on.
    const self: { node?: StorageNode } = {};
    const metrics = new StorageMetrics({
      engine: () => engine,
      freeDiskBytes: disk,
      hintsPending: () => hints.pending,
      digestIndexReady: () => digestIndex.ready,
    });
    const digestIndex = new DigestIndex(engine, {
      onRebuilt: (keys, durationMs) => {
        metrics.digestRebuilds.inc({ outcome: 'completed' });
        logger.info({ keys, durationMs }, 'digest index rebuilt');
      },
      onRebuildFailed: (error) => {
        metrics.digestRebuilds.inc({ outcome: 'failed' });
        logger.error({ err: error.message }, 'digest index rebuild failed; digests scan meanwhile');
      },
    });
    // A damaged fence file stops the start here (CorruptFenceFileError names the file).
    const fence = NodeFence.open(config.storage.data_dir, {
      onRefused: (reason) => metrics.requestsFenced.inc({ reason }),
    });
    // Likewise a damaged layout file (CorruptLayoutFileError).
    const layout = NodeLayout.open(config.storage.data_dir, config.server.node_id, {
      onRefused: () => metrics.requestsFenced.inc({ reason: 'not_an_owner' }),
    });
    ring.layout = layout;
    const versions = new VersionStore(
      config.server.node_id,
      engine,
      {
        vectorEntriesMax: config.limits.vector_entries_max,
        siblingsMax: config.limits.siblings_max,
      },
      {
        onSiblingCapCollapse: () => metrics.siblingCapCollapses.inc(),
        onCorruption: (error, engineKey, operation, replaced) => {
          metrics.corruptionErrors.inc({ operation });
          if (replaced) metrics.corruptVersionsReplaced.inc();
          logger.error(
            {
              ...(error.cause instanceof CorruptionError
                ? { file: error.cause.file, offset: error.cause.offset }
                : {}),
              engineKey: engineKey.toString('hex'),
              ...describeDataKey(engineKey),
              operation,
              err: error.message,
            },
            replaced
              ? 'damaged stored version replaced by a repair'
              : 'stored version is damaged: answering DATA_LOSS until a repair replaces it',
          );
        },
      },
      digestIndex,
    );
    const replica = new Replica(
      config.server.node_id,
      engine,
      versions,
      hints,
      { keyBytesMax: config.limits.key_bytes_max, valueBytesMax: config.limits.value_bytes_max },
      { onHintStored: () => metrics.hintsStored.inc() },
    );
    const hintSender = new GrpcHintSender(() => fence.minRingVersion);
    const hintDelivery = new HintDelivery({
      store: hints,
      sender: hintSender,
      logger,
      intervalMs: config.hints.delivery_interval,
      // A hint older than the tombstone grace could carry a write a purge already removed the
      // tombstone of (docs/architecture.md#tombstone-purge): it is dropped instead.
      maxAgeMs: Math.min(config.hints.max_age, config.storage.tombstone_grace),
      ownersOf: (tenantId, key) =>
        layout.ownersOf(tenantId, key)?.map((owner) => ({
          nodeId: owner.nodeId,
          address: `${owner.host}:${owner.port}`,
        })),
      onDelivered: (count) => metrics.hintsDelivered.inc(count),
      onDropped: (count) => metrics.hintsDropped.inc(count),
    });
    const horizons = new RepairHorizons();
    const tombstonePurge = new TombstonePurge({
      engine,
      versions,
      horizons,
      graceMs: config.storage.tombstone_grace,
      minRingVersion: () => fence.minRingVersion,
      held: () => layout.migrationRunning,
      intervalMs: config.storage.tombstone_purge_interval,
      logger,
      onPurged: (count) => metrics.tombstonesPurged.inc(count),
    });
    const routes = {
      '/healthz': livenessRoute(),
      '/readyz': readinessRoute(() => {
        const error = engine.backgroundError;
        const registration = self.node?.registration?.registration;
        // Unready until registered, so a rollout waits for the coordinator to know the node.
        const registered = registration === undefined || registration.state === 'registered';
        const ready = self.node?.serving === true && error === undefined && registered;
        return {
          ready,
          checks: {
            engine: error ? `stuck: ${error.message}` : 'open',
            grpc: self.node?.serving ? 'serving' : 'not serving',
            registration: registration?.describe() ?? 'off',
          },
        };
      }),
      ...(config.metrics.enabled ? { '/metrics': metricsRoute(metrics.registry) } : {}),
    };
    const http = await startHttpServer({ host: config.http.host, port: config.http.port, routes });
    const exchanges = new OpenExchanges();
    let grpc: GrpcServerHandle;
    try {
      grpc = await startGrpcServer({
        host: config.server.host,
        port: config.server.port,
        service: storageV1.StorageServiceService,
        implementation: createStorageHandlers({
          replica,
          engine,
          versions,
          digests: new RangeDigests(engine, digestIndex, {
            onKeysScanned: (keys) => metrics.digestKeysScanned.inc(keys),
          }),
          fence,
          layout,
          metrics,
          isServing: () => self.node?.serving ?? false,
          freeDiskBytes: disk,
          exchanges,
          horizons,
          tombstonePurge,
        }),
        serviceName: STORAGE_SERVICE_NAME,
      });
    } catch (error) {
      await http.close();
      throw error;
    }
    const grpcPort = grpc.port;
    const node = new StorageNode(
      config,
      logger,
      engine,
      grpc,
      http,
      hintDelivery,
      hintSender,
      exchanges,
      tombstonePurge,
      digestIndex,
    );
    self.node = node;
    node.serving = true;
    hintDelivery.start();
    tombstonePurge.start();
    digestIndex.rebuild();
    node.registration = startCoordinatorRegistration(config, logger);
    logger.info(
      {
        nodeId: config.server.node_id,
        minRingVersion: fence.minRingVersion.toString(),
        grpcPort,
        httpPort: http.port,
        dataDir: config.storage.data_dir,
      },
      'storage node serving',
    );
    return node;
  }

  /**
   * Stops accepting (readiness and new requests fail from here on), answers the requests in
   * flight, ends the coordinators' Exchange streams once they are idle, flushes the engine.
   */
  async stop(): Promise<void> {
    this.logger.info('storage node draining');
    this.serving = false;
    await this.registration?.stop();
    await this.hintDelivery.stop();
    await this.tombstonePurge.stop();
    const drained = this.grpc.drain(this.config.server.shutdown_timeout);
    await this.exchanges.endAll();
    await drained;
    this.hintSender.close();
    await this.digestIndex.close();
    await this.engine.close();
    await this.http.close();
  }
}

/** Tenant and key of a data key, for logs; nothing when the key itself does not decode. */
function describeDataKey(engineKey: Buffer): { tenantId?: string; key?: string } {
  try {
    const { tenantId, key } = decodeDataKey(engineKey);
    return { tenantId, key };
  } catch {
    return {};
  }
}

function diskReader(dir: string): () => number | undefined {
  let readAtMs = 0;
  let free: number | undefined;
  return () => {
    const now = Date.now();
    if (now - readAtMs >= DISK_READING_TTL_MS) {
      readAtMs = now;
      try {
        const stats = statfsSync(dir);
        free = stats.bavail * stats.bsize;
      } catch {
        free = undefined;
      }
    }
    return free;
  };
}
