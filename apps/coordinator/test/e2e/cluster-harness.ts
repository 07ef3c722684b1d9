// A real cluster for end-to-end tests: storage nodes as child processes (the storage-node app's
// sources through @swc-node/register) and an in-process coordinator, all on 127.0.0.1 with
// ports picked here, data in a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { coordinatorV1, storageV1 } from '@pairdb/proto';
import { createLogger } from '@pairdb/service-runtime';
import { freePort } from '@pairdb/test-ports';
import { coordinatorConfigSchema } from '../../src/config';
import { Coordinator } from '../../src/coordinator';

const STORAGE_MAIN = path.resolve(__dirname, '../../../storage-node/src/main.ts');
const START_TIMEOUT_MS = 30_000;

/** The bytes of a value as text (values in these tests are UTF-8). */
export const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

/** The error a call failed with; fails the test if the call succeeded. */
export async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

export class StorageProcess {
  child: ChildProcess | undefined;
  exited: Promise<unknown> = Promise.resolve();
  /** More PAIRDB_* settings for the next start (a disk guard, say); a restart may change them. */
  settings: Record<string, string> = {};

  constructor(
    readonly nodeId: string,
    readonly port: number,
    readonly dataDir: string,
  ) {}

  /** The address it listens on; the harness's nodes are on loopback. */
  get host(): string {
    return '127.0.0.1';
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** How the node's process is started: the storage-node sources through swc. */
  protected command(): [string, string[]] {
    return [process.execPath, ['--require', '@swc-node/register', STORAGE_MAIN]];
  }

  async start(): Promise<void> {
    const [command, args] = this.command();
    const child = spawn(command, args, {
      env: {
        ...process.env,
        PAIRDB_NODE_ID: this.nodeId,
        PAIRDB_DATA_DIR: this.dataDir,
        PAIRDB_SERVER_HOST: this.host,
        PAIRDB_SERVER_PORT: String(this.port),
        PAIRDB_HTTP_HOST: this.host,
        PAIRDB_HTTP_PORT: '0',
        PAIRDB_LOGGING_FORMAT: 'json',
        PAIRDB_STORAGE_DISK_FREE_BYTES_MIN: '0',
        PAIRDB_HINTS_DELIVERY_INTERVAL: '200ms',
        ...this.settings,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', resolve));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.nodeId} did not start on ${this.address}: ${stderr}`)),
        START_TIMEOUT_MS,
      );
      void this.exited.then(() => reject(new Error(`${this.nodeId} exited: ${stderr}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('"storage node serving"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.child?.kill(signal);
    await this.exited;
    this.child = undefined;
  }
}

type Callback<T> = (error: ServiceError | null, response: T) => void;
type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
  callback: Callback<Res>,
) => unknown;

function unary<Req, Res>(fn: Unary<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(request, new Metadata(), { deadline: Date.now() + 10_000 }, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** The public API, promise-shaped. */
export class CoordinatorClient {
  readonly raw: coordinatorV1.CoordinatorServiceClient;

  constructor(address: string) {
    this.raw = new coordinatorV1.CoordinatorServiceClient(address, credentials.createInsecure());
  }

  write(r: Partial<coordinatorV1.WriteKeyValueRequest>) {
    return unary(
      this.raw.writeKeyValue.bind(this.raw),
      coordinatorV1.WriteKeyValueRequest.fromPartial(r),
    );
  }
  read(r: Partial<coordinatorV1.ReadKeyValueRequest>) {
    return unary(
      this.raw.readKeyValue.bind(this.raw),
      coordinatorV1.ReadKeyValueRequest.fromPartial(r),
    );
  }
  delete(r: Partial<coordinatorV1.DeleteKeyValueRequest>) {
    return unary(
      this.raw.deleteKeyValue.bind(this.raw),
      coordinatorV1.DeleteKeyValueRequest.fromPartial(r),
    );
  }
  createTenant(r: Partial<coordinatorV1.CreateTenantRequest>) {
    return unary(
      this.raw.createTenant.bind(this.raw),
      coordinatorV1.CreateTenantRequest.fromPartial(r),
    );
  }
  addNode(r: Partial<coordinatorV1.AddStorageNodeRequest>) {
    return unary(
      this.raw.addStorageNode.bind(this.raw),
      coordinatorV1.AddStorageNodeRequest.fromPartial(r),
    );
  }
  removeNode(r: Partial<coordinatorV1.RemoveStorageNodeRequest>) {
    return unary(
      this.raw.removeStorageNode.bind(this.raw),
      coordinatorV1.RemoveStorageNodeRequest.fromPartial(r),
    );
  }
  updateReplicationFactor(r: Partial<coordinatorV1.UpdateReplicationFactorRequest>) {
    return unary(
      this.raw.updateReplicationFactor.bind(this.raw),
      coordinatorV1.UpdateReplicationFactorRequest.fromPartial(r),
    );
  }
  migration(migrationId: string) {
    return unary(this.raw.getMigrationStatus.bind(this.raw), { migrationId });
  }
  /** With `includeHealth`, each node not inactive carries what the coordinator's probe found. */
  listNodes(includeHealth = false) {
    return unary(this.raw.listStorageNodes.bind(this.raw), { includeHealth });
  }
  startRepair(r: Partial<coordinatorV1.StartRepairRequest>) {
    return unary(
      this.raw.startRepair.bind(this.raw),
      coordinatorV1.StartRepairRequest.fromPartial(r),
    );
  }
  getRepairStatus(r: Partial<coordinatorV1.GetRepairStatusRequest>) {
    return unary(
      this.raw.getRepairStatus.bind(this.raw),
      coordinatorV1.GetRepairStatusRequest.fromPartial(r),
    );
  }
  close(): void {
    this.raw.close();
  }
}

/** Direct access to one storage node's internal API, to inspect or stale a replica. */
export class StorageClient {
  readonly raw: storageV1.StorageServiceClient;

  constructor(address: string) {
    this.raw = new storageV1.StorageServiceClient(address, credentials.createInsecure());
  }
  read(tenantId: string, key: string) {
    return unary(this.raw.read.bind(this.raw), { tenantId, key, ringVersion: 0n });
  }
  write(r: Partial<storageV1.WriteRequest>) {
    return unary(this.raw.write.bind(this.raw), storageV1.WriteRequest.fromPartial(r));
  }
  close(): void {
    this.raw.close();
  }
}

export interface Cluster {
  root: string;
  nodes: StorageProcess[];
  coordinator: Coordinator;
  client: CoordinatorClient;
  /** Starts one more coordinator on the same stores (real PostgreSQL/Redis make them share). */
  addCoordinator(nodeId: string): Promise<Coordinator>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** PostgreSQL URL; default: embedded PGlite under the cluster's temp dir. */
  pgUrl?: string;
  /** Redis URL; default: the in-process idempotency cache. */
  redisUrl?: string;
  /**
   * Background anti-entropy; default off, since specs here leave replicas stale on purpose to
   * check read repair and hints (docs/architecture.md#anti-entropy).
   */
  antiEntropy?: boolean;
}

export async function startCluster(
  nodeCount: number,
  options: ClusterOptions = {},
): Promise<Cluster> {
  const root = mkdtempSync(path.join(tmpdir(), 'pairdb-e2e-'));
  const nodes: StorageProcess[] = [];
  for (let k = 0; k < nodeCount; k++) {
    nodes.push(new StorageProcess(`node-${k}`, await freePort(), path.join(root, `node-${k}`)));
  }
  await Promise.all(nodes.map((node) => node.start()));
  // PAIRDB_TEST_LOG=info shows the in-process coordinator's log when a test needs explaining.
  const level = process.env['PAIRDB_TEST_LOG'] ?? 'silent';
  const logger = createLogger({ name: 'e2e', level, format: 'json' });
  const startCoordinator = (nodeId: string) =>
    Coordinator.start(
      coordinatorConfigSchema.parse({
        server: { host: '127.0.0.1', port: 0, node_id: nodeId, shutdown_timeout: '5s' },
        http: { host: '127.0.0.1', port: 0 },
        metrics: { host: '127.0.0.1', port: 0 },
        data_dir: path.join(root, nodeId),
        database: { url: options.pgUrl ?? '' },
        redis: { url: options.redisUrl ?? '' },
        consistency: { write_timeout: '2s', read_timeout: '2s' },
        anti_entropy: { enabled: options.antiEntropy ?? false },
        logging: { level: 'silent' },
      }),
      logger,
    );
  const coordinator = await startCoordinator('coord-e2e');
  const extra: Coordinator[] = [];
  const client = new CoordinatorClient(`127.0.0.1:${coordinator.grpcPort}`);
  for (const node of nodes) {
    await client.addNode({ nodeId: node.nodeId, host: '127.0.0.1', port: node.port });
  }
  return {
    root,
    nodes,
    coordinator,
    client,
    async addCoordinator(nodeId: string) {
      const started = await startCoordinator(nodeId);
      extra.push(started);
      return started;
    },
    async stop() {
      client.close();
      for (const other of extra) await other.stop();
      await coordinator.stop();
      await Promise.all(nodes.map((node) => (node.child ? node.kill('SIGTERM') : undefined)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
