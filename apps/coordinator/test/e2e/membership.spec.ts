// Membership over real storage-node processes: a node added, a node removed, and a tenant's
// replication factor raised and lowered, each while a writer and a reader run at QUORUM. No
// acknowledged write may be lost, no read of an acknowledged key may answer NOT_FOUND or an older
// value, and afterwards every key is stored on exactly its new preference list (each node's
// ScanRange, checked against a ring computed here from the node list).
import { status } from '@grpc/grpc-js';
import { HashRing, keyToken } from '@pairdb/hashring';
import { storageV1 } from '@pairdb/proto';
import { freePort } from '@pairdb/test-ports';
import * as path from 'node:path';
import {
  startCluster,
  StorageClient,
  StorageProcess,
  text,
  type Cluster,
  type CoordinatorClient,
} from './cluster-harness';

jest.setTimeout(600_000);

/** Keys written before each change, per tenant. */
const KEYS_PER_TENANT = Number(process.env['PAIRDB_TEST_MEMBERSHIP_KEYS'] ?? 2_000);
const MIGRATION_TIMEOUT_MS = 240_000;
const WHOLE_RING = { start: 0n, end: 0n };
/** A ring version above any this test reaches: the inspection passes every node's fence. */
const INSPECTION_RING_VERSION = 1n << 40n;

/** Writes and reads at QUORUM while a change runs; remembers every acknowledged value. */
class Load {
  /** key -> the highest sequence number acknowledged. */
  readonly acknowledged = new Map<string, number>();
  readonly problems: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private sequence = 0;
  writes = 0;
  reads = 0;

  constructor(
    readonly client: CoordinatorClient,
    readonly tenantId: string,
    private readonly prefix: string,
  ) {}

  async fill(count: number): Promise<void> {
    const keys = Array.from({ length: count }, (_, i) => `${this.prefix}-${i}`);
    for (let i = 0; i < keys.length; i += 64) {
      await Promise.all(keys.slice(i, i + 64).map((key) => this.write(key)));
    }
  }

  start(): void {
    this.running = true;
    this.loops = [this.writer(), this.writer(), this.reader(), this.reader()];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async write(key: string): Promise<void> {
    const seq = ++this.sequence;
    await this.client.write({
      tenantId: this.tenantId,
      key,
      value: Buffer.from(`${seq}`),
      consistency: 'quorum',
    });
    this.writes++;
    if ((this.acknowledged.get(key) ?? 0) < seq) this.acknowledged.set(key, seq);
  }

  private async writer(): Promise<void> {
    let fresh = 0;
    while (this.running) {
      // Half overwrites of existing keys, half new keys.
      const key =
        fresh % 2 === 0
          ? `${this.prefix}-${Math.floor(Math.random() * KEYS_PER_TENANT)}`
          : `${this.prefix}-new-${fresh}`;
      fresh++;
      await this.write(key).catch(() => undefined);
    }
  }

  private async reader(): Promise<void> {
    const keys = () => [...this.acknowledged.keys()];
    while (this.running) {
      const all = keys();
      const key = all[Math.floor(Math.random() * all.length)]!;
      const floor = this.acknowledged.get(key)!;
      try {
        const reply = await this.client.read({
          tenantId: this.tenantId,
          key,
          consistency: 'quorum',
        });
        this.reads++;
        const seen = Number(text(reply.value));
        if (seen < floor) this.problems.push(`${key}: read ${seen}, acknowledged ${floor}`);
      } catch (error) {
        const code = (error as { code?: number }).code;
        if (code === status.NOT_FOUND)
          this.problems.push(`${key}: NOT_FOUND, acknowledged ${floor}`);
      }
    }
  }
}

async function waitForMigration(client: CoordinatorClient, migrationId: string) {
  const deadline = Date.now() + MIGRATION_TIMEOUT_MS;
  for (;;) {
    const { migration } = await client.migration(migrationId);
    if (migration!.status !== 'in_progress') return migration!;
    if (Date.now() > deadline)
      throw new Error(`migration ${migrationId} still ${migration!.phase}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every key of the tenant each node stores, by node id. */
async function storedKeys(nodes: StorageProcess[], tenantId: string) {
  const byNode = new Map<string, Set<string>>();
  for (const node of nodes) {
    const client = new StorageClient(node.address);
    const keys = new Set<string>();
    const call = client.raw.scanRange(
      storageV1.ScanRangeRequest.fromPartial({
        range: WHOLE_RING,
        tenantId,
        ringVersion: INSPECTION_RING_VERSION,
      }),
    );
    for await (const page of call as AsyncIterable<storageV1.ScanRangeResponse>) {
      for (const entry of page.entries) keys.add(entry.key);
    }
    client.close();
    byNode.set(node.nodeId, keys);
  }
  return byNode;
}

/** Checks each acknowledged key is on exactly its preference list in a ring of `members`. */
async function expectPlacedExactly(
  members: StorageProcess[],
  tenantId: string,
  replicationFactor: number,
  keys: Iterable<string>,
) {
  const ring = new HashRing(members.map((node) => ({ nodeId: node.nodeId })));
  const stored = await storedKeys(members, tenantId);
  const misplaced: string[] = [];
  for (const key of keys) {
    const owners = ring.preferenceList(keyToken(tenantId, key), replicationFactor);
    for (const node of members) {
      const holds = stored.get(node.nodeId)!.has(key);
      if (holds !== owners.includes(node.nodeId)) misplaced.push(`${key}@${node.nodeId}:${holds}`);
    }
  }
  expect(misplaced.slice(0, 10)).toEqual([]);
}

async function expectAllReadable(load: Load) {
  const wrong: string[] = [];
  for (const [key, seq] of load.acknowledged) {
    const reply = await load.client
      .read({ tenantId: load.tenantId, key, consistency: 'quorum' })
      .catch((error: Error) => error);
    if (reply instanceof Error) wrong.push(`${key}: ${reply.message}`);
    else if (Number(text(reply.value)) < seq) wrong.push(`${key}: ${text(reply.value)} < ${seq}`);
  }
  expect(wrong.slice(0, 10)).toEqual([]);
}

describe('membership changes under load', () => {
  let cluster: Cluster;
  const members: StorageProcess[] = [];

  beforeAll(async () => {
    cluster = await startCluster(3);
    members.push(...cluster.nodes);
    await cluster.client.createTenant({ tenantId: 'one', replicationFactor: 1 });
    await cluster.client.createTenant({ tenantId: 'three', replicationFactor: 3 });
  });
  afterAll(async () => {
    for (const node of members)
      if (node.child && !cluster.nodes.includes(node)) await node.kill('SIGTERM');
    await cluster?.stop();
  });

  /** `copies`: whether the change moves data to new replicas (lowering a factor only drops). */
  async function underLoad(change: () => Promise<string>, label: string, copies = true) {
    const loads = [
      new Load(cluster.client, 'one', `${label}-a`),
      new Load(cluster.client, 'three', `${label}-b`),
    ];
    await Promise.all(loads.map((load) => load.fill(KEYS_PER_TENANT)));
    for (const load of loads) load.start();
    const migrationId = await change();
    expect(migrationId).not.toBe('');
    const migration = await waitForMigration(cluster.client, migrationId);
    for (const load of loads) await load.stop();
    expect(migration.status).toBe('completed');
    if (copies) expect(Number(migration.keysMigrated)).toBeGreaterThan(0);
    else expect(Number(migration.keysMigrated)).toBe(0);
    for (const load of loads) {
      expect(load.problems.slice(0, 10)).toEqual([]);
      expect(load.writes).toBeGreaterThan(KEYS_PER_TENANT);
      await expectAllReadable(load);
    }
    return loads;
  }

  it('adds a fourth node: nothing lost, every key on exactly its new preference list', async () => {
    const added = new StorageProcess('node-3', await freePort(), path.join(cluster.root, 'node-3'));
    await added.start();
    members.push(added);
    const [one, three] = await underLoad(async () => {
      const reply = await cluster.client.addNode({
        nodeId: 'node-3',
        host: '127.0.0.1',
        port: added.port,
      });
      return reply.migrationId;
    }, 'add');
    const { nodes } = await cluster.client.listNodes();
    expect(nodes.map((n) => `${n.nodeId}:${n.status}`).sort()).toEqual([
      'node-0:active',
      'node-1:active',
      'node-2:active',
      'node-3:active',
    ]);
    await expectPlacedExactly(members, 'one', 1, one!.acknowledged.keys());
    await expectPlacedExactly(members, 'three', 3, three!.acknowledged.keys());
  });

  it('removes a node: nothing lost, every key on exactly its new preference list', async () => {
    const [one, three] = await underLoad(async () => {
      const reply = await cluster.client.removeNode({ nodeId: 'node-1' });
      return reply.migrationId;
    }, 'remove');
    const staying = members.filter((node) => node.nodeId !== 'node-1');
    await expectPlacedExactly(staying, 'one', 1, one!.acknowledged.keys());
    await expectPlacedExactly(staying, 'three', 3, three!.acknowledged.keys());
  });

  it('raises a tenant from replication factor 1 to 3 and lowers another from 3 to 2', async () => {
    const { nodes } = await cluster.client.listNodes();
    const active = new Set(nodes.filter((n) => n.status === 'active').map((n) => n.nodeId));
    const staying = members.filter((node) => active.has(node.nodeId));
    const [one] = await underLoad(async () => {
      const reply = await cluster.client.updateReplicationFactor({
        tenantId: 'one',
        replicationFactor: 3,
      });
      return reply.migrationId;
    }, 'raise');
    await expectPlacedExactly(staying, 'one', 3, one!.acknowledged.keys());
    const [, three] = await underLoad(
      async () => {
        const reply = await cluster.client.updateReplicationFactor({
          tenantId: 'three',
          replicationFactor: 2,
        });
        return reply.migrationId;
      },
      'lower',
      false,
    );
    await expectPlacedExactly(staying, 'three', 2, three!.acknowledged.keys());
  });
});
