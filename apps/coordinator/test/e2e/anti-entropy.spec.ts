// Anti-entropy end to end (docs/architecture.md#anti-entropy), every server a separate process on
// one PostgreSQL database, anti-entropy on with a short pause between passes and no client read
// anywhere, so neither read repair nor the test's own reads can heal a replica:
// (a) a storage node SIGKILLed, its data directory deleted and started again empty (same id, port
//     and directory) gets every key back, with the versions the other replicas hold;
// (b) a node that was down while writes went on, whose hints the stand-ins dropped as expired
//     before it came back, ends holding every key it owns with the other owners' versions.
// (c) three replicas holding the same 3,000 keys, their digest indexes built, compare by digests
//     alone: passes read no key on any node (storage_digest_keys_scanned_total) and repair none;
//     a sibling then written into one replica alone is found and repaired into the others.
// (d) keys deleted while a replica was down keep their tombstones past a short grace until that
//     replica is back and repaired, are then purged on all three, and stay deleted after every
//     node compacted;
// (e) with two coordinators and an hour between scheduled passes, a repair asked of the one that
//     does not hold the anti-entropy lease is run by the one that does, covers the tenant asked
//     for, heals a wiped node, and is followed to completion on the coordinator asked.
// All read the nodes' stores with ScanRange only (and (d) the deleted keys at ALL at the end).
import { rmSync } from 'node:fs';
import { HashRing, keyToken } from '@pairdb/hashring';
import { freePort } from '@pairdb/test-ports';
import { storageV1 } from '@pairdb/proto';
import { status } from '@grpc/grpc-js';
import {
  failure,
  StorageClient,
  type CoordinatorClient,
  type StorageProcess,
} from './cluster-harness';
import { FaultCluster, metricSum } from './membership-fault-harness';
import {
  INSPECTION_RING_VERSION,
  Load,
  storedVersionSets,
  type StorageNodeAddress,
} from './membership-load';
import {
  describeWithService,
  planService,
  POSTGRES_SERVICE,
  startService,
  type RunningService,
} from '../support/test-services';

const TENANT = 'entropy';
const REPLICATION_FACTOR = 3;
/**
 * Anti-entropy on, a pass every second and unpaced: each test waits for a few passes, not for the
 * default, and checks what a pass repairs, not how it shares the machine (anti-entropy-pass.spec.ts
 * checks pacing).
 */
const ANTI_ENTROPY_ON = {
  PAIRDB_ANTI_ENTROPY_ENABLED: 'true',
  PAIRDB_ANTI_ENTROPY_PASS_INTERVAL: '1s',
  PAIRDB_ANTI_ENTROPY_DUTY_CYCLE: '1',
};
/**
 * How long a replica may take to converge: a few passes on a 2-core machine busy with other test
 * projects (45 s was not enough for 3,000 keys with the default pacing under such load).
 */
const CONVERGE_TIMEOUT_MS = 100_000;
/** Between two inspections of every node's store (each a ScanRange of the whole ring). */
const INSPECT_EVERY_MS = 1_000;
/** Writes in flight at once while a node is down. */
const WRITES_IN_FLIGHT = 32;
/** Attempts of one write while a node is down before the test fails. */
const WRITE_ATTEMPTS_MAX = 5;
jest.setTimeout(5 * 60_000);

const plan = planService(POSTGRES_SERVICE);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Where `node` holds a key of the tenant differently from another owner of it (missing, or with
 * other versions), as lines for a failure message; empty once it has converged. `ownersOf` gives
 * a key's replicas; every key any node stores is checked.
 */
async function divergence(
  nodes: readonly StorageNodeAddress[],
  node: string,
  ownersOf: (key: string) => readonly string[],
): Promise<string[]> {
  const stored = await storedVersionSets(nodes, TENANT);
  const held = stored.get(node)!;
  const problems: string[] = [];
  const keys = new Set([...stored.values()].flatMap((sets) => [...sets.keys()]));
  for (const key of keys) {
    const owners = ownersOf(key);
    if (!owners.includes(node)) continue;
    for (const other of owners) {
      if (other === node) continue;
      const theirs = stored.get(other)!.get(key);
      const mine = held.get(key);
      if (mine !== theirs) problems.push(`${key}: ${node} ${mine} but ${other} ${theirs}`);
    }
  }
  return problems;
}

/** Waits until `node` holds what the other owners hold; fails with the last differences. */
async function expectConverged(
  nodes: readonly StorageNodeAddress[],
  node: string,
  ownersOf: (key: string) => readonly string[],
): Promise<void> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  let problems: string[] = [];
  while (Date.now() < deadline) {
    problems = await divergence(nodes, node, ownersOf).catch((error: Error) => [
      `inspection failed: ${error.message}`,
    ]);
    if (problems.length === 0) return;
    await sleep(INSPECT_EVERY_MS);
  }
  throw new Error(
    `${node} not converged within ${CONVERGE_TIMEOUT_MS} ms: ${problems.length} differences, ` +
      `first ${problems.slice(0, 5).join('; ')}`,
  );
}

/** Writes each key at QUORUM, retrying a failed write: all must be acknowledged. */
async function writeAtQuorum(client: CoordinatorClient, keys: readonly string[]): Promise<void> {
  const writeOne = async (key: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.write({
          tenantId: TENANT,
          key,
          value: Buffer.from(`while-down ${key}`),
          consistency: 'quorum',
        });
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS_MAX) throw error;
        await sleep(100);
      }
    }
  };
  for (let i = 0; i < keys.length; i += WRITES_IN_FLIGHT) {
    await Promise.all(keys.slice(i, i + WRITES_IN_FLIGHT).map(writeOne));
  }
}

/**
 * One coordinator with anti-entropy on and `nodes` storage nodes started with `nodeSettings`,
 * each with a fixed HTTP (metrics) port that survives a restart, and the tenant at RF 3.
 */
async function startMeteredCluster(
  postgresUrl: string,
  nodes: number,
  nodeSettings: Record<string, string> = {},
): Promise<{ cluster: FaultCluster; httpPorts: Map<string, number> }> {
  const cluster = await FaultCluster.start({
    storageNodes: 0,
    coordinatorIds: ['coord-a'],
    postgresUrl,
    coordinatorSettings: ANTI_ENTROPY_ON,
  });
  const httpPorts = new Map<string, number>();
  for (let k = 0; k < nodes; k++) {
    const nodeId = `node-${k}`;
    const httpPort = await freePort();
    httpPorts.set(nodeId, httpPort);
    const node: StorageProcess = await cluster.startStorageNode(nodeId, {
      ...nodeSettings,
      PAIRDB_HTTP_PORT: String(httpPort),
    });
    await cluster.client.addNode({ nodeId, host: node.host, port: node.port });
  }
  await cluster.client.createTenant({ tenantId: TENANT, replicationFactor: REPLICATION_FACTOR });
  return { cluster, httpPorts };
}

describeWithService('anti-entropy heals a wiped replica', plan, () => {
  /** A few thousand keys: every range of the ring holds some. */
  const KEYS = 3_000;
  let postgres: RunningService;
  let cluster: FaultCluster;

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    cluster = await FaultCluster.start({
      storageNodes: 3,
      coordinatorIds: ['coord-a'],
      postgresUrl: postgres.url,
      coordinatorSettings: ANTI_ENTROPY_ON,
    });
    await cluster.client.createTenant({
      tenantId: TENANT,
      replicationFactor: REPLICATION_FACTOR,
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  it('puts every key back on a node restarted with an empty data directory, no read needed', async () => {
    await new Load(cluster.client, TENANT, 'wiped', KEYS).fill(KEYS);
    const nodes = cluster.addresses(cluster.nodes.map((n) => n.nodeId));
    const before = await storedVersionSets(nodes, TENANT);
    for (const sets of before.values()) expect(sets.size).toBe(KEYS);

    const wiped = cluster.node('node-1');
    await wiped.kill('SIGKILL');
    rmSync(wiped.dataDir, { recursive: true, force: true });
    await wiped.start();

    // Three nodes at RF 3: every node owns every key.
    await expectConverged(nodes, 'node-1', () => ['node-0', 'node-1', 'node-2']);
    const after = await storedVersionSets(nodes, TENANT);
    expect(after.get('node-1')!.size).toBe(KEYS);
    // Nothing was written since: the healed versions are the ones written at ALL.
    expect([...after.get('node-1')!]).toEqual([...before.get('node-0')!]);
    expect(
      await cluster.coordinator('coord-a').metric('coordinator_anti_entropy_keys_repaired_total'),
    ).toBeGreaterThanOrEqual(KEYS);
  });
});

describeWithService('anti-entropy heals a replica whose hints expired', plan, () => {
  const FILLED = 2_000;
  /** Written while the node is down: overwrites of filled keys, then new keys. */
  const OVERWRITTEN = 600;
  const ADDED = 600;
  let postgres: RunningService;
  let cluster: FaultCluster;
  /** Each node's HTTP (metrics) port, fixed so it survives a restart. */
  let httpPorts: Map<string, number>;

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    // Four nodes at RF 3, so a write a node misses is hinted to a stand-in; every hint expires
    // at once (the stand-in drops it on its next delivery round), so hints cannot heal it.
    ({ cluster, httpPorts } = await startMeteredCluster(postgres.url, 4, {
      PAIRDB_HINTS_MAX_AGE: '1ms',
    }));
  });

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  it('converges a node that missed writes while down, its hints dropped, no read needed', async () => {
    const load = new Load(cluster.client, TENANT, 'missed', FILLED);
    await load.fill(FILLED);
    const memberIds = cluster.nodes.map((n) => n.nodeId);
    const nodes = cluster.addresses(memberIds);
    const ring = new HashRing(
      nodes.map((n) => ({ nodeId: n.nodeId, virtualNodes: n.virtualNodes })),
    );
    const ownersOf = (key: string) =>
      ring.preferenceList(keyToken(TENANT, key), REPLICATION_FACTOR);

    const down = cluster.node('node-3');
    await down.kill('SIGKILL');
    const written = [
      ...Array.from({ length: OVERWRITTEN }, (_, i) => `missed-${i}`),
      ...Array.from({ length: ADDED }, (_, i) => `missed-new-${i}`),
    ];
    await writeAtQuorum(cluster.client, written);
    const missed = written.filter((key) => ownersOf(key).includes('node-3'));
    expect(missed.length).toBeGreaterThan(0);

    // Every hint of a missed write was handed to a stand-in and dropped there unsent.
    const coordinator = cluster.coordinator('coord-a');
    const hinted = await coordinator.metric('coordinator_hints_sent_total');
    expect(hinted).toBeGreaterThanOrEqual(missed.length);
    const live = memberIds.filter((id) => id !== 'node-3');
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    let dropped = 0;
    while (dropped < hinted && Date.now() < deadline) {
      await sleep(200);
      const counts = await Promise.all(
        live.map((id) => metricSum(httpPorts.get(id)!, 'storage_hints_dropped_total')),
      );
      dropped = counts.reduce((a, b) => a + b, 0);
    }
    expect(dropped).toBe(hinted);

    await down.start();
    await expectConverged(nodes, 'node-3', ownersOf);
    const healed = (await storedVersionSets(nodes, TENANT)).get('node-3')!;
    const stale = missed.filter(
      (key) => !healed.get(key)?.includes(Buffer.from(`while-down ${key}`).toString('hex')),
    );
    expect(stale).toEqual([]);
  });
});

describeWithService('anti-entropy compares unchanged replicas by digests alone', plan, () => {
  const KEYS = 3_000;
  let postgres: RunningService;
  let cluster: FaultCluster;
  let httpPorts: Map<string, number>;

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    ({ cluster, httpPorts } = await startMeteredCluster(postgres.url, 3));
  });

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  /** The sum of a storage metric over every node. */
  const onNodes = async (name: string) =>
    (await Promise.all([...httpPorts.values()].map((port) => metricSum(port, name)))).reduce(
      (a, b) => a + b,
      0,
    );
  const coordinatorMetric = (name: string) => cluster.coordinator('coord-a').metric(name);
  const passesDone = () =>
    coordinatorMetric('coordinator_anti_entropy_pass_duration_seconds_count');

  /** Waits until `count` more passes have ended: the last of them began after this call. */
  async function passes(count: number): Promise<void> {
    const target = (await passesDone()) + count;
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    while ((await passesDone()) < target) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} passes in time`);
      await sleep(200);
    }
  }

  it('scans no key in passes over unchanged replicas, and repairs the others after one changed behind their backs', async () => {
    await new Load(cluster.client, TENANT, 'unchanged', KEYS).fill(KEYS);
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    while ((await onNodes('storage_digest_index_ready')) < httpPorts.size) {
      if (Date.now() > deadline) throw new Error('digest indexes not ready in time');
      await sleep(200);
    }
    // Warm-up: passes after the fill find edges whose segments changed and scan them once.
    await passes(3);
    const scannedBefore = await onNodes('storage_digest_keys_scanned_total');
    const repairedBefore = await coordinatorMetric('coordinator_anti_entropy_keys_repaired_total');
    const comparedBefore = await coordinatorMetric(
      'coordinator_anti_entropy_ranges_compared_total',
    );
    await passes(2);
    const compared =
      (await coordinatorMetric('coordinator_anti_entropy_ranges_compared_total')) - comparedBefore;
    // The ring is cut into ranges of at most 1/256 of it: hundreds compared per pass.
    expect(compared).toBeGreaterThan(100);
    expect((await onNodes('storage_digest_keys_scanned_total')) - scannedBefore).toBe(0);
    expect(
      (await coordinatorMetric('coordinator_anti_entropy_keys_repaired_total')) - repairedBefore,
    ).toBe(0);

    // Negative control: a version written into node-2 alone, as no coordinator would, that wins
    // under the tenant's last-writer-wins policy (its dot is past any coordinator's clock).
    const key = 'unchanged-17';
    const rogue = Buffer.from('written behind the others backs');
    const node2 = cluster.addresses(['node-2'])[0]!;
    const direct = new StorageClient(node2.address);
    try {
      await direct.write({
        tenantId: TENANT,
        key,
        value: rogue,
        context: [],
        dot: { actor: 'rogue', counter: 1n << 62n },
        conflictPolicy: storageV1.ConflictPolicy.CONFLICT_POLICY_LWW,
        ringVersion: INSPECTION_RING_VERSION,
      });
    } finally {
      direct.close();
    }
    const differingBefore = await coordinatorMetric(
      'coordinator_anti_entropy_buckets_differing_total',
    );
    const repairedAfterQuiet = await coordinatorMetric(
      'coordinator_anti_entropy_keys_repaired_total',
    );
    await passes(2);
    expect(
      (await coordinatorMetric('coordinator_anti_entropy_buckets_differing_total')) -
        differingBefore,
    ).toBeGreaterThanOrEqual(1);
    expect(
      (await coordinatorMetric('coordinator_anti_entropy_keys_repaired_total')) -
        repairedAfterQuiet,
    ).toBe(2);
    const nodes = cluster.addresses(['node-0', 'node-1', 'node-2']);
    const stored = await storedVersionSets(nodes, TENANT);
    const rogueHex = rogue.toString('hex');
    for (const [nodeId, sets] of stored) {
      expect([nodeId, sets.get(key)?.includes(rogueHex)]).toEqual([nodeId, true]);
    }
  });
});

describeWithService(
  'a repair asked of the coordinator without the anti-entropy lease',
  plan,
  () => {
    const KEYS = 1_500;
    let postgres: RunningService;
    let cluster: FaultCluster;

    beforeAll(async () => {
      postgres = await startService(POSTGRES_SERVICE, plan);
      cluster = await FaultCluster.start({
        storageNodes: 3,
        coordinatorIds: ['coord-a', 'coord-b'],
        postgresUrl: postgres.url,
        // Scheduled passes an hour apart: after the first, only the repair can heal anything.
        coordinatorSettings: { ...ANTI_ENTROPY_ON, PAIRDB_ANTI_ENTROPY_PASS_INTERVAL: '1h' },
      });
      for (const tenantId of [TENANT, 'bystander']) {
        await cluster.client.createTenant({ tenantId, replicationFactor: REPLICATION_FACTOR });
      }
    });

    afterAll(async () => {
      await cluster?.stop();
      await postgres?.stop();
    });

    it('is run by the lease holder and followed to completion where it was asked', async () => {
      // The lease holder runs a first pass at once (of no tenant yet: they come later); only it
      // moves the anti-entropy metrics.
      const ids = ['coord-a', 'coord-b'];
      const passes = async (id: string) =>
        cluster.coordinator(id).metric('coordinator_anti_entropy_last_completed_pass_seconds');
      const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
      let holder: string | undefined;
      while (!holder && Date.now() < deadline) {
        for (const id of ids) if ((await passes(id)) > 0) holder = id;
        await sleep(200);
      }
      expect(holder).toBeDefined();
      const asked = cluster.coordinator(ids.find((id) => id !== holder)!).client;

      await new Load(cluster.client, TENANT, 'asked', KEYS).fill(KEYS);
      await new Load(cluster.client, 'bystander', 'other', 300).fill(300);
      const nodes = cluster.addresses(cluster.nodes.map((n) => n.nodeId));
      const wiped = cluster.node('node-1');
      await wiped.kill('SIGKILL');
      rmSync(wiped.dataDir, { recursive: true, force: true });
      await wiped.start();

      const { repairId } = await asked.startRepair({ tenantId: TENANT });
      let status = await asked.getRepairStatus({ repairId });
      while (status.repair?.status !== 'completed' && Date.now() < deadline + CONVERGE_TIMEOUT_MS) {
        expect(status.repair!.status).not.toBe('incomplete');
        await sleep(100);
        status = await asked.getRepairStatus({ repairId });
      }
      expect(status.repair).toMatchObject({ repairId, tenantId: TENANT, requested: true });
      expect(status.repair!.status).toBe('completed');
      expect(status.repair!.rangesDone).toBe(status.repair!.rangesTotal);
      expect(Number(status.repair!.keysRepaired)).toBe(KEYS);
      expect(status.lastCompleted?.repairId).toBe(repairId);
      const intoWiped = status.nodes.find((node) => node.nodeId === 'node-1');
      expect(Number(intoWiped?.keysRepaired)).toBe(KEYS);

      const stored = await storedVersionSets(nodes, TENANT);
      expect([...stored.get('node-1')!]).toEqual([...stored.get('node-0')!]);
      // The bystander tenant was not asked for: node-1 still lacks it.
      expect((await storedVersionSets(nodes, 'bystander')).get('node-1')!.size).toBe(0);
    });
  },
);

describeWithService('a key deleted while a replica was down stays deleted', plan, () => {
  const DELETED = 40;
  const KEPT = 40;
  /** Short, so the test sees tombstones outlive it while a replica is away. */
  const GRACE_MS = 4_000;
  let postgres: RunningService;
  let cluster: FaultCluster;
  let httpPorts: Map<string, number>;
  const deleted = Array.from({ length: DELETED }, (_, i) => `deleted-${i}`);
  const kept = Array.from({ length: KEPT }, (_, i) => `kept-${i}`);

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    ({ cluster, httpPorts } = await startMeteredCluster(postgres.url, 3, {
      // No hint may heal the node that was down: only anti-entropy can.
      PAIRDB_HINTS_MAX_AGE: '1ms',
      PAIRDB_STORAGE_TOMBSTONE_GRACE: `${GRACE_MS}ms`,
      PAIRDB_STORAGE_TOMBSTONE_PURGE_INTERVAL: '500ms',
    }));
  });

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  const purgedOn = (nodeId: string) =>
    metricSum(httpPorts.get(nodeId)!, 'storage_tombstones_purged_total');

  it('is purged only once the returning replica was repaired, and never comes back', async () => {
    for (const key of [...deleted, ...kept]) {
      await cluster.client.write({
        tenantId: TENANT,
        key,
        value: Buffer.from(`value of ${key}`),
        consistency: 'all',
      });
    }
    const nodes = cluster.addresses(['node-0', 'node-1', 'node-2']);
    const away = cluster.node('node-2');
    await away.kill('SIGKILL');
    for (const key of deleted) {
      await cluster.client.delete({ tenantId: TENANT, key, consistency: 'quorum' });
    }

    // Well past the grace, with passes running: no pass can complete while node-2 is away, so
    // node-0 and node-1 keep every tombstone.
    await sleep(GRACE_MS + 4_000);
    const whileAway = await storedVersionSets(nodes.slice(0, 2), TENANT);
    for (const nodeId of ['node-0', 'node-1']) {
      const sets = whileAway.get(nodeId)!;
      const notTombstones = deleted.filter((key) => !isTombstoneText(sets.get(key)));
      expect({ nodeId, notTombstones }).toEqual({ nodeId, notTombstones: [] });
      expect(await purgedOn(nodeId)).toBe(0);
    }

    // node-2 comes back still holding the old values of the deleted keys.
    await away.start();
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    let purged: number[] = [];
    while (Date.now() < deadline) {
      purged = await Promise.all(['node-0', 'node-1', 'node-2'].map(purgedOn));
      if (purged.every((count) => count >= DELETED)) break;
      await sleep(INSPECT_EVERY_MS);
    }
    expect(purged).toEqual([DELETED, DELETED, DELETED]);

    const compactionsBefore = await Promise.all(
      ['node-0', 'node-1', 'node-2'].map((id) =>
        metricSum(httpPorts.get(id)!, 'storage_compactions_total'),
      ),
    );
    for (const node of nodes) await compact(node.address);
    const compactionsAfter = await Promise.all(
      ['node-0', 'node-1', 'node-2'].map((id) =>
        metricSum(httpPorts.get(id)!, 'storage_compactions_total'),
      ),
    );
    compactionsAfter.forEach((after, i) => expect(after).toBeGreaterThan(compactionsBefore[i]!));

    // Two more passes over the compacted nodes change nothing.
    await sleep(3_000);
    const stored = await storedVersionSets(nodes, TENANT);
    for (const [nodeId, sets] of stored) {
      const resurrected = deleted.filter((key) => sets.has(key));
      const lost = kept.filter((key) => !sets.has(key));
      expect({ nodeId, resurrected, lost }).toEqual({ nodeId, resurrected: [], lost: [] });
    }
    for (const key of deleted) {
      const error = await failure(
        cluster.client.read({ tenantId: TENANT, key, consistency: 'all' }),
      );
      expect({ key, code: error.code }).toEqual({ key, code: status.NOT_FOUND });
    }
  });
});

/** A stored set (versionSetText) of tombstones only. */
function isTombstoneText(text: string | undefined): boolean {
  if (!text) return false;
  const siblings = text.slice(text.indexOf('{') + 1, -1).split(',');
  return siblings.length > 0 && siblings.every((sibling) => sibling.includes(' tombstone '));
}

/** Compacts one storage node's engine through its Compact RPC. */
async function compact(address: string): Promise<void> {
  const client = new StorageClient(address);
  try {
    await new Promise<void>((resolve, reject) =>
      client.raw.compact({}, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    client.close();
  }
}
