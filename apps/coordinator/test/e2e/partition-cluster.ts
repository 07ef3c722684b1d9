// A cluster with one storage node that can be partitioned: three nodes on 127.0.0.1 (the
// harness's processes), a fourth in its own network namespace, and an in-process coordinator
// whose write timeout the test chooses. Four nodes because hints need a stand-in: at RF 3 the
// node past a key's three replicas holds the hint for the one that is cut off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { createLogger } from '@pairdb/service-runtime';
import { freePort } from '@pairdb/test-ports';
import { coordinatorConfigSchema } from '../../src/config';
import { Coordinator } from '../../src/coordinator';
import { CoordinatorClient, StorageProcess } from './cluster-harness';
import { NamespacedStorageProcess } from './namespaced-storage-process';
import { NetworkNamespace } from './network-namespace';

/** Nodes on the host's loopback; the partitioned node makes four. */
const HOST_NODE_COUNT = 3;
/** The namespace has a port space of its own, so the node there takes the default port. */
const ISOLATED_NODE_PORT = 50052;

export interface PartitionClusterOptions {
  /** The coordinator's write timeout (consistency.write_timeout), in ms. */
  writeTimeoutMs: number;
  /** The coordinator's read timeout (consistency.read_timeout), in ms. */
  readTimeoutMs: number;
}

export class PartitionCluster {
  /** Hints the host nodes reported delivered to the isolated node, from their logs. */
  hintsDeliveredToIsolated = 0;
  coordinator: Coordinator | undefined;
  client: CoordinatorClient | undefined;

  private constructor(
    readonly root: string,
    readonly namespace: NetworkNamespace,
    readonly hostNodes: StorageProcess[],
    readonly isolated: NamespacedStorageProcess,
  ) {}

  get nodes(): StorageProcess[] {
    return [...this.hostNodes, this.isolated];
  }

  /** Starts everything; on a failure part-way, stops what did start before rethrowing. */
  static async start(options: PartitionClusterOptions): Promise<PartitionCluster> {
    const ports: number[] = [];
    for (let k = 0; k < HOST_NODE_COUNT; k++) ports.push(await freePort());
    const namespace = NetworkNamespace.create();
    const root = mkdtempSync(path.join(tmpdir(), 'pairdb-partition-'));
    const hostNodes = ports.map(
      (port, k) => new StorageProcess(`node-${k}`, port, path.join(root, `node-${k}`)),
    );
    const isolated = new NamespacedStorageProcess(
      'node-isolated',
      ISOLATED_NODE_PORT,
      path.join(root, 'node-isolated'),
      namespace,
    );
    const cluster = new PartitionCluster(root, namespace, hostNodes, isolated);
    try {
      await Promise.all(cluster.nodes.map((node) => node.start()));
      for (const node of hostNodes) cluster.countHintDeliveries(node);
      await cluster.startCoordinator(options);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private async startCoordinator(options: PartitionClusterOptions): Promise<void> {
    const config = coordinatorConfigSchema.parse({
      server: { host: '127.0.0.1', port: 0, node_id: 'coord-partition', shutdown_timeout: '5s' },
      http: { host: '127.0.0.1', port: 0 },
      metrics: { host: '127.0.0.1', port: 0 },
      data_dir: path.join(this.root, 'coord-partition'),
      consistency: {
        write_timeout: `${options.writeTimeoutMs}ms`,
        read_timeout: `${options.readTimeoutMs}ms`,
      },
      logging: { level: 'silent' },
    });
    const logger = createLogger({ name: 'partition', level: 'silent', format: 'json' });
    this.coordinator = await Coordinator.start(config, logger);
    this.client = new CoordinatorClient(`127.0.0.1:${this.coordinator.grpcPort}`);
    for (const node of this.nodes) {
      const [host, port] = node.address.split(':');
      await this.client.addNode({ nodeId: node.nodeId, host, port: Number(port) });
    }
  }

  /** Follows a node's JSON log for the hint deliveries it makes to the isolated node. */
  private countHintDeliveries(node: StorageProcess): void {
    createInterface({ input: node.child!.stdout! }).on('line', (line) => {
      if (!line.includes('"hints delivered"')) return;
      const entry = JSON.parse(line) as { target?: string; delivered?: number };
      if (entry.target === this.isolated.nodeId) {
        this.hintsDeliveredToIsolated += entry.delivered ?? 0;
      }
    });
  }

  /** The value of an unlabelled counter on the coordinator's /metrics. */
  async coordinatorCounter(name: string): Promise<number> {
    const response = await fetch(`http://127.0.0.1:${this.coordinator!.metricsPort}/metrics`);
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(await response.text());
    if (!match) throw new Error(`the coordinator's /metrics has no ${name}`);
    return Number(match[1]);
  }

  /** Stops every process and removes the namespace and the data, even after a failed start. */
  async stop(): Promise<void> {
    try {
      if (this.namespace.isPartitioned) this.namespace.heal();
      this.client?.close();
      await this.coordinator?.stop();
      await Promise.all([
        this.isolated.stop(),
        ...this.hostNodes.map((node) => (node.child ? node.kill('SIGTERM') : undefined)),
      ]);
    } finally {
      this.namespace.remove();
      rmSync(this.root, { recursive: true, force: true });
    }
  }
}
