// The cluster under test: 3 storage nodes and 1 coordinator, each a child process running its
// production esbuild bundle (apps/*/dist/main.js, built by the bench target's dependencies) on
// 127.0.0.1 with free ports and data in a temp dir that stop() removes. Nodes are registered and
// the RF 3 tenant created through the coordinator's public gRPC API.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { coordinatorV1 } from '@pairdb/proto';
import { BENCH_TENANT_ID } from './workload';

const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');
export const COORDINATOR_BUNDLE = path.join(WORKSPACE_ROOT, 'apps/coordinator/dist/main.js');
export const STORAGE_NODE_BUNDLE = path.join(WORKSPACE_ROOT, 'apps/storage-node/dist/main.js');

export const STORAGE_NODE_COUNT = 3;
export const REPLICATION_FACTOR = 3;
/** A cold start (PGlite and its migrations on the coordinator) takes a few seconds here. */
const START_TIMEOUT_MS = 60_000;
/** A SIGTERM drain longer than this is a hang: the process is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** Admin calls during set-up. */
const ADMIN_DEADLINE_MS = 10_000;
/** Lines of a child's stderr kept to explain a failed start. */
const STDERR_LINES_KEPT = 20;
/** Set to a directory to keep each child's JSON log there as <name>.log (where the time goes). */
const LOG_DIR = process.env['PAIRDB_BENCH_LOG_DIR'];

export type SyncPolicy = 'always' | 'none';

export class ClusterStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterStartError';
  }
}

/** Every child still running and every data dir still present, cleaned up if the benchmark
 * itself dies (an error, Ctrl-C). */
const running = new Set<ChildProcess>();
const dataRoots = new Set<string>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const root of dataRoots) rmSync(root, { recursive: true, force: true });
});

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
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
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.on('exit', () => {
        running.delete(child);
        resolve();
      }),
    );
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
}

export class BenchCluster {
  private constructor(
    private readonly root: string,
    private readonly processes: readonly ServiceProcess[],
    /** host:port of the coordinator's gRPC server. */
    readonly coordinatorAddress: string,
  ) {}

  static async start(options: ClusterOptions): Promise<BenchCluster> {
    for (const bundle of [COORDINATOR_BUNDLE, STORAGE_NODE_BUNDLE]) {
      if (!existsSync(bundle)) {
        throw new ClusterStartError(
          `${bundle} is missing: run npx nx run-many -t build -p coordinator storage-node`,
        );
      }
    }
    const root = mkdtempSync(path.join(tmpdir(), 'pairdb-bench-'));
    dataRoots.add(root);
    const processes: ServiceProcess[] = [];
    try {
      const nodes = await startStorageNodes(root, options, processes);
      const coordinator = coordinatorProcess(root, {}, profilingArgs(options, 'coordinator'));
      processes.push(coordinator);
      const ready = await coordinator.start('"coordinator serving"');
      const cluster = new BenchCluster(root, processes, `127.0.0.1:${String(ready['grpcPort'])}`);
      await cluster.register(nodes);
      return cluster;
    } catch (error) {
      await Promise.all(processes.map((p) => p.stop()));
      rmSync(root, { recursive: true, force: true });
      dataRoots.delete(root);
      throw error;
    }
  }

  /** Process ids of the coordinator and of the storage nodes, to measure their CPU use. */
  get pids(): { coordinator: number[]; storageNodes: number[] } {
    const pids = this.processes.map((p) => p.pid!);
    return { coordinator: pids.slice(-1), storageNodes: pids.slice(0, -1) };
  }

  async stop(): Promise<void> {
    // The coordinator first, so it never sees its nodes vanish mid-drain.
    await this.processes[this.processes.length - 1]!.stop();
    await Promise.all(this.processes.slice(0, -1).map((p) => p.stop()));
    rmSync(this.root, { recursive: true, force: true });
    dataRoots.delete(this.root);
  }

  private async register(nodes: readonly { nodeId: string; port: number }[]): Promise<void> {
    const client = new coordinatorV1.CoordinatorServiceClient(
      this.coordinatorAddress,
      credentials.createInsecure(),
    );
    try {
      for (const node of nodes) {
        await adminCall((done) =>
          client.addStorageNode(
            { nodeId: node.nodeId, host: '127.0.0.1', port: node.port, virtualNodes: 0 },
            new Metadata(),
            { deadline: Date.now() + ADMIN_DEADLINE_MS },
            done,
          ),
        );
      }
      await adminCall((done) =>
        client.createTenant(
          {
            tenantId: BENCH_TENANT_ID,
            replicationFactor: REPLICATION_FACTOR,
            conflictResolution: 'lww',
          },
          new Metadata(),
          { deadline: Date.now() + ADMIN_DEADLINE_MS },
          done,
        ),
      );
    } finally {
      client.close();
    }
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

async function startStorageNodes(
  root: string,
  options: ClusterOptions,
  processes: ServiceProcess[],
): Promise<{ nodeId: string; port: number }[]> {
  const nodes: { nodeId: string; port: number }[] = [];
  for (let index = 0; index < STORAGE_NODE_COUNT; index++) {
    const nodeId = `node-${index + 1}`;
    const port = await freePort();
    nodes.push({ nodeId, port });
    processes.push(
      storageNodeProcess(root, nodeId, port, options.syncPolicy, profilingArgs(options, nodeId)),
    );
  }
  await Promise.all(processes.map((p) => p.start('"storage node serving"')));
  return nodes;
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

/** The coordinator, its metadata (PGlite) in `root`/coordinator, ports chosen by the OS;
 * `settings` adds or overrides PAIRDB_* variables. */
export function coordinatorProcess(
  root: string,
  settings: Record<string, string>,
  nodeArgs: readonly string[] = [],
): ServiceProcess {
  return new ServiceProcess(
    'coordinator',
    COORDINATOR_BUNDLE,
    {
      PAIRDB_NODE_ID: 'coordinator-bench',
      PAIRDB_DATA_DIR: path.join(root, 'coordinator'),
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

function adminCall<T>(call: (done: (error: ServiceError | null, value: T) => void) => void) {
  return new Promise<T>((resolve, reject) =>
    call((error, value) => (error ? reject(error) : resolve(value))),
  );
}
