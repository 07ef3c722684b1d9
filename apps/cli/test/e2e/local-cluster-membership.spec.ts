// The local cluster grows and shrinks while it runs, as the README's tour does it: with keys
// written, `pairdb node add --start --watch` makes the running supervisor start node-3, which
// joins through a node_addition migration; `status` and `migration list` show it; then
// `pairdb node remove node-0 --watch` drains node-0, whose process the supervisor stops once its
// migration completed. Every key reads afterwards and each remaining node holds every key
// (replication factor 3 on 3 nodes), and a restart runs the nodes the cluster then had.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PairDBClient, type Migration } from '@pairdb/client';
import { buildCliBundle, type CliBundle } from '../support/cli-bundle';
import { ClusterProcess, httpStatus, isAlive } from '../support/cluster-process';
import { clusterPorts, portArgs, type TestPorts } from '../support/ports';
import { runCli } from '../support/run-cli';

/** Enough that every node holds some and the copies have work in many ranges. */
const KEYS = 60;
/** A cluster start, two migrations and a restart on a loaded 2-core machine. */
const TEST_TIMEOUT_MS = 300_000;
/** A watched migration of a few dozen keys; its own barriers take a few seconds. */
const WATCH_RUN_TIMEOUT_MS = 120_000;

interface NodeStatusJson {
  nodeId: string;
  state: string;
  health: string;
  keys?: number;
}

describe('a local cluster that grows and shrinks', () => {
  let bundle: CliBundle;
  let ports: TestPorts;
  let dataDir: string;
  let cluster: ClusterProcess | undefined;
  let client: PairDBClient | undefined;

  beforeAll(async () => {
    bundle = await buildCliBundle();
    // The coordinator and four storage nodes' ports: node-3 joins the three started.
    ports = await clusterPorts(4);
    dataDir = mkdtempSync(path.join(tmpdir(), 'pairdb-membership-'));
  });

  afterAll(async () => {
    client?.close();
    if (cluster) await cluster.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    bundle?.remove();
  }, 60_000);

  const address = () => `127.0.0.1:${ports.basePort}`;
  const pairdb = (args: readonly string[], timeoutMs?: number) =>
    runCli(bundle.main, ['-a', address(), ...args], { timeoutMs });
  const startCluster = () =>
    ClusterProcess.start(
      process.execPath,
      [bundle.main, 'cluster', 'start', '--nodes', '3', '--data-dir', dataDir, ...portArgs(ports)],
      dataDir,
    );
  const keyName = (i: number) => `key-${i}`;

  async function expectEveryKeyReads(): Promise<void> {
    for (let i = 0; i < KEYS; i++) {
      const read = await client!.get('default', keyName(i));
      expect(read.value.toString()).toBe(`value-${i}`);
    }
  }

  async function nodeStatuses(): Promise<NodeStatusJson[]> {
    const status = await pairdb(['status', '--json']);
    expect(status.code).toBe(0);
    return (JSON.parse(status.stdout) as { nodes: NodeStatusJson[] }).nodes;
  }

  function roster(): number[] {
    const file = path.join(dataDir, 'storage-nodes.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { nodeIndices: number[] }).nodeIndices;
  }

  it(
    'adds node-3 with node add --start, removes node-0, keeps every key, restarts as it was',
    async () => {
      cluster = await startCluster();
      client = new PairDBClient({ address: address() });
      for (let i = 0; i < KEYS; i++) await client.put('default', keyName(i), `value-${i}`);

      const add = await pairdb(
        ['node', 'add', '--start', '--data-dir', dataDir, '--watch'],
        WATCH_RUN_TIMEOUT_MS,
      );
      expect(add).toMatchObject({ code: 0, stderr: '' });
      expect(add.stdout).toMatch(/^started node-3 \(pid \d+\) at 127\.0\.0\.1:\d+/);
      expect(add.stdout).toContain('added node-3 (joining, 150 virtual nodes)');
      const migrationId = /migration (mig-\S+) moves/.exec(add.stdout)![1]!;
      expect(add.stdout).toContain(`${migrationId} node_addition node-3: completed`);

      const node3 = cluster.state().nodes.find((node) => node.name === 'node-3')!;
      expect(isAlive(node3.pid)).toBe(true);
      expect(await httpStatus(`http://127.0.0.1:${ports.metricsPort + 4}/readyz`)).toBe(200);
      expect(roster()).toEqual([0, 1, 2, 3]);
      expect(cluster.output).toContain(
        `+ node-3 added to the ring (joining; migration ${migrationId})`,
      );

      const grown = await nodeStatuses();
      expect(grown.map((n) => [n.nodeId, n.state, n.health])).toEqual([
        ['node-0', 'active', 'up'],
        ['node-1', 'active', 'up'],
        ['node-2', 'active', 'up'],
        ['node-3', 'active', 'up'],
      ]);
      expect(grown.find((n) => n.nodeId === 'node-3')!.keys).toBeGreaterThan(0);
      const text = await pairdb(['status']);
      expect(text.stdout).toContain('4 storage nodes registered, 4 in the ring, 4 up');

      const listed = await pairdb(['migration', 'list', '--json']);
      const [newest] = JSON.parse(listed.stdout) as Migration[];
      expect(newest).toMatchObject({
        migrationId,
        type: 'node_addition',
        nodeId: 'node-3',
        status: 'completed',
        percentage: 100,
      });
      const table = await pairdb(['migration', 'list']);
      expect(table.stdout).toMatch(
        new RegExp(`${migrationId}\\s+node_addition\\s+node-3\\s+completed`),
      );
      await expectEveryKeyReads();

      const node0 = cluster.state().nodes.find((node) => node.name === 'node-0')!;
      const remove = await pairdb(
        ['node', 'remove', 'node-0', '--data-dir', dataDir, '--watch'],
        WATCH_RUN_TIMEOUT_MS,
      );
      expect(remove).toMatchObject({ code: 0, stderr: '' });
      expect(remove.stdout).toContain(
        `the local cluster stops node-0 (pid ${node0.pid}) once it has left the ring`,
      );
      expect(remove.stdout).toMatch(/node_deletion node-0: completed/);
      expect(remove.stdout).toContain(
        `node-0 left the ring; the local cluster stopped its process (pid ${node0.pid})`,
      );
      expect(isAlive(node0.pid)).toBe(false);
      expect(cluster.state().nodes.map((node) => node.name)).toEqual([
        'node-1',
        'node-2',
        'node-3',
      ]);
      expect(roster()).toEqual([1, 2, 3]);

      await expectEveryKeyReads();
      const shrunk = await nodeStatuses();
      expect(shrunk.map((n) => [n.nodeId, n.state])).toEqual([
        ['node-0', 'inactive'],
        ['node-1', 'active'],
        ['node-2', 'active'],
        ['node-3', 'active'],
      ]);
      // Replication factor 3 on three nodes: each holds a replica of every key.
      for (const node of shrunk.filter((n) => n.state === 'active')) {
        expect([node.nodeId, node.keys]).toEqual([node.nodeId, KEYS]);
      }

      client.close();
      client = undefined;
      const stop = await runCli(bundle.main, ['cluster', 'stop', '--data-dir', dataDir]);
      expect(stop.code).toBe(0);
      cluster = await startCluster();
      expect(cluster.output).toContain('3 storage nodes (node-1, node-2, node-3)');
      expect(cluster.state().nodes.map((node) => node.name)).toEqual([
        'node-1',
        'node-2',
        'node-3',
      ]);
      client = new PairDBClient({ address: address() });
      await expectEveryKeyReads();
    },
    TEST_TIMEOUT_MS,
  );
});
