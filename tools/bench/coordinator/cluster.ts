// The cluster under test: 3 storage nodes and 1 coordinator by default (the scale figures start
// more of either), each a child process running its production esbuild bundle
// (apps/*/dist/main.js, built by the bench target's dependencies) on 127.0.0.1 with free ports
// and data in a temp dir that stop() removes. Nodes are registered and the RF 3 tenant created
// through the first coordinator's public gRPC API. One coordinator keeps its metadata in PGlite;
// several share a fresh PostgreSQL database (metadata-database.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { credentials } from '@grpc/grpc-js';
import { coordinatorV1 } from '@pairdb/proto';
import { freePort } from '@pairdb/test-ports';
import { addStorageNode, createTenant, writeKey } from './coordinator-calls';
import { killOnExit, removeDir, removeOnExit } from './exit-cleanup';
import { createMetadataDatabase, type MetadataDatabase } from './metadata-database';
import { BENCH_TENANT_ID } from './workload';

// The migration and anti-entropy benchmarks take it from here.
export { freePort };

const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');
export const COORDINATOR_BUNDLE = path.join(WORKSPACE_ROOT, 'apps/coordinator/dist/main.js');
export const STORAGE_NODE_BUNDLE = path.join(WORKSPACE_ROOT, 'apps/storage-node/dist/main.js');

export const STORAGE_NODE_COUNT = 3;
export const REPLICATION_FACTOR = 3;
/** A cold start (PGlite and its migrations on the coordinator) takes a few seconds here. */
const START_TIMEOUT_MS = 60_000;
/** A SIGTERM drain longer than this is a hang: the process is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** Lines of a child's stderr kept to explain a failed start. */
const STDERR_LINES_KEPT = 20;
/** Pause between readiness writes while a coordinator is not serving yet. */
const READINESS_RETRY_MS = 200;
/** Outside the bench key shape (benchKey), so no workload ever reads or counts it. */
const READINESS_KEY = 'bench-readiness';
/** Each coordinator's metadata pool minimum when they share PostgreSQL. */
const METADATA_CONNECTIONS_MIN = 2;
/** Set to a directory to keep each child's JSON log there as <name>.log (where the time goes). */
const LOG_DIR = process.env['PAIRDB_BENCH_LOG_DIR'];

export type SyncPolicy = 'always' | 'none';

export class ClusterStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterStartError';
  }
}

/** One server process, ready once its JSON log says `readyMessage`. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly logListeners: ((record: Record<string, unknown>) => void)[] = [];

  constructor(
    readonly name: string,
    private readonly bundle: string,
    private readonly env: Record<string, string>,
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Calls `listener` with every JSON log record of this process, across restarts. */
  onLog(listener: (record: Record<string, unknown>) => void): void {
    this.logListeners.push(listener);
  }

  /** Starts the process; resolves with the log record that announced it ready. */
  start(readyMessage: string): Promise<Record<string, unknown>> {
    const child = spawn(process.execPath, [...this.nodeArgs, this.bundle], {
      env: { ...process.env, PAIRDB_LOGGING_FORMAT: 'json', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    killOnExit(child);
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > STDERR_LINES_KEPT) stderr.shift();
    });
    return new Promise((resolve, reject) => {
      const fail = (why: string) =>
        reject(new ClusterStartError(`${this.name} ${why}: ${stderr.join('\n')}`));
      const timer = setTimeout(() => fail(`not ready in ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      void this.exited.then(() => {
        clearTimeout(timer);
        fail(`exited with ${child.exitCode ?? child.signalCode}`);
      });
      if (LOG_DIR) child.stdout!.pipe(createWriteStream(path.join(LOG_DIR, `${this.name}.log`)));
      // Every line is read, so a chatty log never blocks the child on a full pipe.
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (this.logListeners.length > 0 && line.startsWith('{')) {
          const record = JSON.parse(line) as Record<string, unknown>;
          for (const listener of this.logListeners) listener(record);
        }
        if (!line.includes(readyMessage)) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  }

  /** SIGKILL, as a crash: no drain, nothing flushed that was not synced. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (a graceful drain, which also writes a --cpu-prof profile), SIGKILL if it hangs. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface ClusterOptions {
  readonly syncPolicy: SyncPolicy;
  /** Folder for V8 CPU profiles of every server process (`node --cpu-prof`), named
   * `<process>-sync-<policy>.cpuprofile`; none if undefined. */
  readonly profileDir?: string;
  /** Coordinators in front of the storage nodes (default 1); more than one needs `postgresUrl`. */
  readonly coordinators?: number;
  /** Storage nodes (default STORAGE_NODE_COUNT). */
  readonly storageNodes?: number;
  /** A PostgreSQL server on which the cluster creates a fresh database for the coordinators'
   * shared metadata and drops it on stop; undefined: PGlite inside the only coordinator. */
  readonly postgresUrl?: string;
}

export class BenchCluster {
  private readonly storageNodes: ServiceProcess[] = [];
  private readonly coordinators: ServiceProcess[] = [];
  private database: MetadataDatabase | undefined;
  /** host:port of each coordinator's gRPC server, in start order. */
  readonly coordinatorAddresses: string[] = [];
  /** URL of each coordinator's Prometheus page, in start order. */
  readonly coordinatorMetricsUrls: string[] = [];

  private constructor(
    private readonly root: string,
    private readonly options: ClusterOptions,
  ) {}

  static async start(options: ClusterOptions): Promise<BenchCluster> {
    for (const bundle of [COORDINATOR_BUNDLE, STORAGE_NODE_BUNDLE]) {
      if (!existsSync(bundle)) {
        throw new ClusterStartError(
          `${bundle} is missing: run npx nx run-many -t build -p coordinator storage-node`,
        );
      }
    }
    const coordinators = options.coordinators ?? 1;
    if (coordinators > 1 && !options.postgresUrl) {
      throw new ClusterStartError(
        `${coordinators} coordinators share one metadata store, which needs PostgreSQL`,
      );
    }
    const root = mkdtempSync(path.join(tmpdir(), 'pairdb-bench-'));
    removeOnExit(root);
    const cluster = new BenchCluster(root, options);
    try {
      await cluster.startProcesses(coordinators, options.storageNodes ?? STORAGE_NODE_COUNT);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Process ids of the coordinators and of the storage nodes, to measure their CPU use. */
  get pids(): { coordinator: number[]; storageNodes: number[] } {
    return {
      coordinator: this.coordinators.map((p) => p.pid!),
      storageNodes: this.storageNodes.map((p) => p.pid!),
    };
  }

  async stop(): Promise<void> {
    // The coordinators first, so none sees its nodes vanish mid-drain.
    await Promise.all(this.coordinators.map((p) => p.stop()));
    await Promise.all(this.storageNodes.map((p) => p.stop()));
    removeDir(this.root);
    await this.database?.drop();
  }

  /** Nodes, then the first coordinator, which registers the nodes and creates the tenant; the
   * others start after, so they read both from the shared metadata as they start. */
  private async startProcesses(coordinators: number, storageNodes: number): Promise<void> {
    const nodes = await this.startStorageNodes(storageNodes);
    const settings: Record<string, string> = {};
    if (this.options.postgresUrl) {
      this.database = await createMetadataDatabase(this.options.postgresUrl);
      settings['PAIRDB_PG_URL'] = this.database.url;
      // The pool's default minimum (10) per coordinator is more than the benchmark needs of a
      // PostgreSQL server other work may be using; metadata is off the write path.
      settings['PAIRDB_DATABASE_MIN_CONNECTIONS'] = String(METADATA_CONNECTIONS_MIN);
    }
    await this.startCoordinator(0, settings);
    await this.register(nodes);
    await Promise.all(
      Array.from({ length: coordinators - 1 }, (_, index) =>
        this.startCoordinator(index + 1, settings),
      ),
    );
    await Promise.all(this.coordinatorAddresses.map(writeUntilServed));
  }

  private async startStorageNodes(count: number): Promise<{ nodeId: string; port: number }[]> {
    const nodes: { nodeId: string; port: number }[] = [];
    for (let index = 0; index < count; index++) {
      const nodeId = `node-${index + 1}`;
      const port = await freePort();
      nodes.push({ nodeId, port });
      this.storageNodes.push(
        storageNodeProcess(
          this.root,
          nodeId,
          port,
          this.options.syncPolicy,
          profilingArgs(this.options, nodeId),
        ),
      );
    }
    await Promise.all(this.storageNodes.map((p) => p.start('"storage node serving"')));
    return nodes;
  }

  private async startCoordinator(index: number, settings: Record<string, string>): Promise<void> {
    const name = index === 0 ? 'coordinator' : `coordinator-${index + 1}`;
    const coordinator = coordinatorProcess(
      this.root,
      settings,
      profilingArgs(this.options, name),
      name,
    );
    this.coordinators.push(coordinator);
    const ready = await coordinator.start('"coordinator serving"');
    this.coordinatorAddresses.push(`127.0.0.1:${String(ready['grpcPort'])}`);
    this.coordinatorMetricsUrls.push(`http://127.0.0.1:${String(ready['metricsPort'])}/metrics`);
  }

  private async register(nodes: readonly { nodeId: string; port: number }[]): Promise<void> {
    const client = new coordinatorV1.CoordinatorServiceClient(
      this.coordinatorAddresses[0]!,
      credentials.createInsecure(),
    );
    try {
      for (const node of nodes) await addStorageNode(client, node);
      await createTenant(client, {
        tenantId: BENCH_TENANT_ID,
        replicationFactor: REPLICATION_FACTOR,
      });
    } finally {
      client.close();
    }
  }
}

/** Resolves once a QUORUM write through the coordinator at `address` succeeds: it knows the
 * tenant and reaches the nodes. */
async function writeUntilServed(address: string): Promise<void> {
  const client = new coordinatorV1.CoordinatorServiceClient(address, credentials.createInsecure());
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await writeKey(client, BENCH_TENANT_ID, READINESS_KEY, 'quorum');
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new ClusterStartError(`${address} serves no write: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, READINESS_RETRY_MS));
      }
    }
  } finally {
    client.close();
  }
}

function profilingArgs(options: ClusterOptions, name: string): string[] {
  if (!options.profileDir) return [];
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${options.profileDir}`,
    `--cpu-prof-name=${name}-sync-${options.syncPolicy}.cpuprofile`,
  ];
}

/** A storage node with its data in `root`/`nodeId`, serving gRPC on 127.0.0.1:`port`. */
export function storageNodeProcess(
  root: string,
  nodeId: string,
  port: number,
  syncPolicy: SyncPolicy,
  nodeArgs: readonly string[] = [],
): ServiceProcess {
  return new ServiceProcess(
    nodeId,
    STORAGE_NODE_BUNDLE,
    {
      PAIRDB_NODE_ID: nodeId,
      PAIRDB_DATA_DIR: storageNodeDataDir(root, nodeId),
      PAIRDB_SERVER_HOST: '127.0.0.1',
      PAIRDB_SERVER_PORT: String(port),
      PAIRDB_HTTP_HOST: '127.0.0.1',
      PAIRDB_HTTP_PORT: '0',
      PAIRDB_STORAGE_SYNC_POLICY: syncPolicy,
      PAIRDB_LOGGING_LEVEL: 'info',
    },
    nodeArgs,
  );
}

export function storageNodeDataDir(root: string, nodeId: string): string {
  return path.join(root, nodeId);
}

/** A coordinator named `name` (node id `<name>-bench`), its data (PGlite metadata unless
 * `settings` names a database) in `root`/`name`, ports chosen by the OS; `settings` adds or
 * overrides PAIRDB_* variables. */
export function coordinatorProcess(
  root: string,
  settings: Record<string, string>,
  nodeArgs: readonly string[] = [],
  name = 'coordinator',
): ServiceProcess {
  return new ServiceProcess(
    name,
    COORDINATOR_BUNDLE,
    {
      PAIRDB_NODE_ID: `${name}-bench`,
      PAIRDB_DATA_DIR: path.join(root, name),
      PAIRDB_SERVER_HOST: '127.0.0.1',
      PAIRDB_SERVER_PORT: '0',
      PAIRDB_HTTP_HOST: '127.0.0.1',
      PAIRDB_HTTP_PORT: '0',
      PAIRDB_METRICS_HOST: '127.0.0.1',
      PAIRDB_METRICS_PORT: '0',
      PAIRDB_LOGGING_LEVEL: 'info',
      ...settings,
    },
    nodeArgs,
  );
}
