// A cluster for the membership fault tests: storage nodes and coordinators all as separate
// processes on one fresh PostgreSQL database, so a test can SIGKILL, SIGSTOP and restart any of
// them. Each process keeps its port and data directory across restarts, so clients reconnect to
// the same address and a restarted node finds its data and its fence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { storageV1 } from '@pairdb/proto';
import { freePort } from '@pairdb/test-ports';
import { createTestDatabase, type TestDatabase } from '../metadata/postgres-test-database';
import { CoordinatorClient, StorageClient, StorageProcess } from './cluster-harness';
import type { StorageNodeAddress } from './membership-load';
import { coordinatorEnv, ServiceProcess, type LogLine } from './service-process';

/** Coordinator lease: short, so a killed or frozen coordinator leaves the barriers quickly. */
export const FAULT_LEASE_MS = 3_000;
/** Driver lease: short, so another coordinator takes a dead driver's migration quickly. */
export const FAULT_DRIVER_LEASE_MS = 3_000;
/**
 * Virtual nodes per storage node: fewer than the default 150, so a migration has fewer ranges
 * (each a copy task with its checkpoints and digests) and a test's copy takes seconds, not minutes.
 */
export const FAULT_VIRTUAL_NODES = 32;
/** How long a log line may take to reach the test after what it reports is visible elsewhere. */
const LOG_ARRIVAL_MS = 10_000;
/** A storage node's or coordinator's answer to one status or health request. */
const PROBE_DEADLINE_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One coordinator process, restartable with the same id, port and data directory. */
export class CoordinatorProcess {
  /** Every run so far, the current one last. */
  readonly runs: ServiceProcess[] = [];
  readonly client: CoordinatorClient;

  constructor(
    readonly coordinatorId: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.client = new CoordinatorClient(`127.0.0.1:${port}`);
  }

  get current(): ServiceProcess {
    const run = this.runs[this.runs.length - 1];
    if (!run) throw new Error(`coordinator ${this.coordinatorId} was never started`);
    return run;
  }

  /** The log lines of every run, in order. */
  get logs(): LogLine[] {
    return this.runs.flatMap((run) => run.logs);
  }

  async start(): Promise<void> {
    this.runs.push(await ServiceProcess.start('coordinator', this.env));
  }

  signal(signal: NodeJS.Signals): void {
    this.current.signal(signal);
  }

  async kill(): Promise<void> {
    await this.current.kill();
  }

  /** A counter or gauge of the current run's /metrics (0 when absent), summed over labels. */
  metric(name: string): Promise<number> {
    return metricSum(this.current.metricsPort, name);
  }

  close(): void {
    this.client.close();
  }
}

/** A metric of the process serving /metrics on `port` (0 when absent), summed over labels. */
export async function metricSum(port: number, name: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(PROBE_DEADLINE_MS),
  });
  let sum = 0;
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (match?.[1] === name) sum += Number(match[3]);
  }
  return sum;
}

export interface FaultClusterOptions {
  readonly storageNodes: number;
  readonly coordinatorIds: readonly string[];
  /** PostgreSQL server URL; the cluster creates (and drops) its own database there. */
  readonly postgresUrl: string;
  /** The metadata URL a coordinator is given (e.g. through a proxy); default the database's. */
  readonly metadataUrlFor?: (coordinatorId: string, databaseUrl: string) => string;
  /** More PAIRDB_* settings for every coordinator. */
  readonly coordinatorSettings?: Record<string, string>;
}

export class FaultCluster {
  private constructor(
    readonly root: string,
    readonly database: TestDatabase,
    readonly nodes: StorageProcess[],
    readonly coordinators: CoordinatorProcess[],
  ) {}

  static async start(options: FaultClusterOptions): Promise<FaultCluster> {
    const root = mkdtempSync(path.join(tmpdir(), 'pairdb-faults-'));
    const database = await createTestDatabase(options.postgresUrl);
    const cluster = new FaultCluster(root, database, [], []);
    try {
      for (let k = 0; k < options.storageNodes; k++) await cluster.startStorageNode(`node-${k}`);
      for (const id of options.coordinatorIds) {
        const port = await freePort();
        const env = {
          ...coordinatorEnv(id, port, path.join(root, id), {
            pgUrl: options.metadataUrlFor?.(id, database.url) ?? database.url,
          }),
          PAIRDB_MEMBERSHIP_LEASE_MS: String(FAULT_LEASE_MS),
          PAIRDB_MEMBERSHIP_DRIVER_LEASE_MS: String(FAULT_DRIVER_LEASE_MS),
          PAIRDB_HASH_RING_VIRTUAL_NODES: String(FAULT_VIRTUAL_NODES),
          PAIRDB_CONSISTENCY_WRITE_TIMEOUT: '2s',
          PAIRDB_CONSISTENCY_READ_TIMEOUT: '2s',
          ...options.coordinatorSettings,
        };
        const coordinator = new CoordinatorProcess(id, port, env);
        cluster.coordinators.push(coordinator);
        await coordinator.start();
      }
      for (const node of cluster.nodes) {
        await cluster.client.addNode({ nodeId: node.nodeId, host: node.host, port: node.port });
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The first coordinator's client. */
  get client(): CoordinatorClient {
    return this.coordinators[0]!.client;
  }

  coordinator(coordinatorId: string): CoordinatorProcess {
    const found = this.coordinators.find((c) => c.coordinatorId === coordinatorId);
    if (!found) throw new Error(`no coordinator ${coordinatorId}`);
    return found;
  }

  node(nodeId: string): StorageProcess {
    const found = this.nodes.find((n) => n.nodeId === nodeId);
    if (!found) throw new Error(`no storage node ${nodeId}`);
    return found;
  }

  /** Starts a storage node process (not yet a member: the test adds it), with `settings`. */
  async startStorageNode(
    nodeId: string,
    settings: Record<string, string> = {},
  ): Promise<StorageProcess> {
    const node = new StorageProcess(nodeId, await freePort(), path.join(this.root, nodeId));
    node.settings = settings;
    await node.start();
    this.nodes.push(node);
    return node;
  }

  /** The members in `nodeIds`, as the placement checks see them. */
  addresses(nodeIds: readonly string[]): StorageNodeAddress[] {
    return nodeIds.map((id) => ({
      nodeId: id,
      address: this.node(id).address,
      virtualNodes: FAULT_VIRTUAL_NODES,
    }));
  }

  /**
   * The coordinator that logs that it drives `migrationId` with an epoch above `afterEpoch`, and
   * that epoch; waits for it.
   */
  async driverOf(
    migrationId: string,
    timeoutMs: number,
    afterEpoch = 0,
  ): Promise<{ coordinator: CoordinatorProcess; epoch: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const coordinator of this.coordinators) {
        const line = coordinator.logs.find(
          (l) =>
            l.msg === 'driving migration' &&
            l['migrationId'] === migrationId &&
            Number(l['epoch']) > afterEpoch,
        );
        if (line) return { coordinator, epoch: Number(line['epoch']) };
      }
      if (Date.now() > deadline) {
        throw new Error(`no coordinator drives ${migrationId} past epoch ${afterEpoch}`);
      }
      await sleep(50);
    }
  }

  /**
   * A driver frozen and resumed at its log line `resumedFrom` committed no step and finished
   * nothing after it, and the migration finished exactly once, as `status`, by another driver.
   */
  async expectFinishedOnce(
    migrationId: string,
    status: string,
    frozen: CoordinatorProcess,
    resumedFrom: number,
  ): Promise<void> {
    const finishedBy = (c: CoordinatorProcess) =>
      c.logs.filter((l) => l.msg === 'migration finished' && l['migrationId'] === migrationId);
    // The store shows the migration finished before its driver's log line reaches this process.
    const deadline = Date.now() + LOG_ARRIVAL_MS;
    while (this.coordinators.every((c) => finishedBy(c).length === 0) && Date.now() < deadline) {
      await sleep(50);
    }
    const afterResume = frozen.current.logs.slice(resumedFrom);
    expect(
      afterResume.filter(
        (l) => l.msg === 'migration step committed' || l.msg === 'migration finished',
      ),
    ).toEqual([]);
    const finished = this.coordinators.flatMap(finishedBy);
    expect(finished.map((l) => l['status'])).toEqual([status]);
  }

  async stop(): Promise<void> {
    for (const coordinator of this.coordinators) {
      coordinator.close();
      for (const run of coordinator.runs) {
        run.signal('SIGCONT');
        await run.kill();
      }
    }
    for (const node of this.nodes) if (node.child) await node.kill('SIGKILL');
    await this.database.drop().catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A storage node's health check reply (its minimum ring version included). */
export async function healthOf(node: StorageNodeAddress): Promise<storageV1.HealthCheckResponse> {
  const client = new StorageClient(node.address);
  try {
    return await new Promise((resolve, reject) =>
      client.raw.healthCheck(
        {},
        new Metadata(),
        { deadline: Date.now() + PROBE_DEADLINE_MS },
        (error: Error | null, reply: storageV1.HealthCheckResponse) =>
          error ? reject(error) : resolve(reply),
      ),
    );
  } finally {
    client.close();
  }
}
