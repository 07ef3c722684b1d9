// An anti-entropy pass (docs/architecture.md#anti-entropy) over storage nodes faked in memory
// (fake-replicas.ts). Owners are computed here from @pairdb/hashring preference lists, not from
// the code under test. Checked: only ranges with differing buckets are scanned, and a converged
// cluster is compared by digests alone; merged sets land on every owner and nowhere else; a
// deposed runner's repairs are refused; a moving range is repaired only into its write sets; a
// stale ring version makes the pass reload the view and retry; a lane rests after each range so
// that its work is the duty cycle of its time (on a fake clock); a tenant filter covers that
// tenant alone; a range an owner failed is compared once more at the end.
import { HashRing, keyToken, rangeContains } from '@pairdb/hashring';
import { createLogger } from '@pairdb/service-runtime';
import {
  EMPTY_VERSION_SET,
  update,
  versionSetsEqual,
  VersionVector,
  type VersionSet,
} from '@pairdb/vectorclock';
import { runPass, type PassTotals, type RingViews } from '../../src/anti-entropy/anti-entropy-pass';
import type { StorageNode, Tenant } from '../../src/metadata';
import { RingView, type RingChange } from '../../src/routing/ring-view';
import { FakeReplicas } from './fake-replicas';

const logger = createLogger({ name: 'test', level: 'silent', format: 'json' });

function node(nodeId: string, status: StorageNode['status'] = 'active'): StorageNode {
  const index = Number(nodeId.slice(1));
  return {
    nodeId,
    host: '127.0.0.1',
    port: 7000 + index,
    status,
    virtualNodes: 16,
    createdAtUnixMs: 0,
    updatedAtUnixMs: 0,
  };
}

function tenant(tenantId: string, replicationFactor: number): Tenant {
  return {
    tenantId,
    replicationFactor,
    conflictResolution: 'lww',
    version: 1,
    createdAtUnixMs: 0,
    updatedAtUnixMs: 0,
  };
}

function written(counter: number, value: string, actor = 'c1'): VersionSet {
  return update(
    EMPTY_VERSION_SET,
    VersionVector.EMPTY,
    { actor, counter: BigInt(counter) },
    { value: Buffer.from(value) },
  );
}

/** The key's replicas on a ring of `nodeIds`, as the hashring library places them. */
function ownersOf(nodeIds: string[], tenantId: string, key: string, factor: number): string[] {
  const ring = new HashRing(nodeIds.map((id) => ({ nodeId: id, virtualNodes: 16 })));
  return ring.preferenceList(keyToken(tenantId, key), factor);
}

function fixedViews(view: RingView): RingViews & { refreshes: number } {
  return {
    current: view,
    refreshes: 0,
    async refresh() {
      this.refreshes++;
    },
  };
}

async function pass(
  replicas: FakeReplicas,
  views: RingViews,
  tenants: Tenant[],
  epoch = 1,
): Promise<PassTotals> {
  return runPass(
    { storage: replicas, views, listTenants: async () => tenants, logger },
    { epoch, rangesInFlight: 2, halted: () => false },
  );
}

describe('anti-entropy pass', () => {
  const nodes = ['n1', 'n2', 'n3'];
  const t = tenant('t', 3);

  function fullCluster(keys: number): FakeReplicas {
    const replicas = new FakeReplicas();
    for (let i = 0; i < keys; i++) {
      for (const nodeId of nodes) replicas.put(nodeId, 't', `k${i}`, written(i + 1, `v${i}`));
    }
    return replicas;
  }

  it('scans only ranges whose buckets differ, and heals them on every replica', async () => {
    const replicas = fullCluster(400);
    const changed = ['k3', 'k50', 'k51', 'k200', 'k399'];
    replicas.delete('n2', 't', 'k3');
    replicas.delete('n2', 't', 'k50');
    replicas.put('n3', 't', 'k51', written(1, 'newer', 'c2'));
    replicas.put('n1', 't', 'k200', written(500, 'newest'));
    replicas.delete('n1', 't', 'k399');
    replicas.delete('n3', 't', 'k399');
    const view = new RingView(
      5,
      nodes.map((id) => node(id)),
      null,
    );

    const totals = await pass(replicas, fixedViews(view), [t]);

    expect(replicas.scans.length).toBeGreaterThan(0);
    for (const scan of replicas.scans) {
      const tokens = changed.map((key) => keyToken('t', key));
      expect(tokens.some((token) => rangeContains(scan.range, token))).toBe(true);
    }
    const scannedOnN1 = new Set(
      replicas.scans.filter((s) => s.nodeId === 'n1').flatMap((s) => s.keys),
    );
    expect(scannedOnN1.size).toBeLessThan(40);
    for (const key of ['k3', 'k50', 'k51', 'k200']) expect(scannedOnN1.has(key)).toBe(true);
    for (let i = 0; i < 400; i++) {
      const first = replicas.get('n1', 't', `k${i}`)!;
      for (const nodeId of nodes)
        expect(versionSetsEqual(replicas.get(nodeId, 't', `k${i}`)!, first)).toBe(true);
    }
    expect(replicas.get('n2', 't', 'k51')!.siblings).toHaveLength(1);
    expect(replicas.get('n2', 't', 'k200')!.siblings[0]!.dot.counter).toBe(500n);
    expect(totals.rangesIncomplete).toBe(0);
    expect(totals.bucketsDiffering).toBeGreaterThanOrEqual(5);
    // k3, k50 into n2; k51 into n3 only (under lww the merge is n1's and n2's set: their write
    // wins by its dot); k200 into n2 and n3; k399 into n1 and n3.
    expect(totals.keysRepaired).toBe(7);
    expect(totals.repairedInto.get('n2')).toBe(3);
    expect(totals.repairedInto.get('n3')).toBe(3);

    const digestsBefore = replicas.digests.length;
    const scansBefore = replicas.scans.length;
    const again = await pass(replicas, fixedViews(view), [t]);
    expect(again.bucketsDiffering).toBe(0);
    expect(again.keysRepaired).toBe(0);
    expect(replicas.scans.length).toBe(scansBefore);
    expect(replicas.digests.length - digestsBefore).toBe(again.rangesCompared * 3);
  });

  it('compares a converged cluster by digests alone', async () => {
    const replicas = fullCluster(300);
    const view = new RingView(
      5,
      nodes.map((id) => node(id)),
      null,
    );
    const totals = await pass(replicas, fixedViews(view), [t]);
    expect(replicas.scans).toHaveLength(0);
    expect(replicas.repairs).toHaveLength(0);
    expect(totals.rangesCompared).toBeGreaterThan(0);
    expect(replicas.digests).toHaveLength(totals.rangesCompared * 3);
  });

  it('lands merged sets on every owner and nowhere else', async () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const t2 = tenant('rf2', 2);
    const replicas = new FakeReplicas();
    for (let i = 0; i < 300; i++) {
      const key = `k${i}`;
      const owners = ownersOf(five, 'rf2', key, 2);
      // Only the first owner took the write.
      replicas.put(owners[0]!, 'rf2', key, written(i + 1, `v${i}`));
    }
    const view = new RingView(
      3,
      five.map((id) => node(id)),
      null,
    );
    await pass(replicas, fixedViews(view), [t2]);

    for (let i = 0; i < 300; i++) {
      const key = `k${i}`;
      const owners = ownersOf(five, 'rf2', key, 2);
      for (const nodeId of five) {
        expect([nodeId, key, replicas.get(nodeId, 'rf2', key) !== undefined]).toEqual([
          nodeId,
          key,
          owners.includes(nodeId),
        ]);
      }
    }
    for (const repair of replicas.repairs) {
      expect(ownersOf(five, 'rf2', repair.key, 2)).toContain(repair.nodeId);
    }
    expect(replicas.repairs).toHaveLength(300);
  });

  it("refuses a deposed runner's repairs once a newer epoch reached the node", async () => {
    const replicas = fullCluster(100);
    const view = new RingView(
      5,
      nodes.map((id) => node(id)),
      null,
    );
    replicas.delete('n3', 't', 'k7');
    await pass(replicas, fixedViews(view), [t], 2);
    expect(replicas.get('n3', 't', 'k7')).toBeDefined();

    replicas.delete('n3', 't', 'k8');
    const repairsBefore = replicas.repairs.length;
    const deposed = await pass(replicas, fixedViews(view), [t], 1);
    expect(replicas.get('n3', 't', 'k8')).toBeUndefined();
    expect(replicas.repairs.length).toBe(repairsBefore);
    expect(replicas.refusals.some((r) => r.endsWith('stale epoch 1'))).toBe(true);
    expect(deposed.rangesIncomplete).toBeGreaterThan(0);
  });

  it('repairs a moving range only into the replicas its phase writes to', async () => {
    const after = ['n1', 'n2', 'n3', 'n4'];
    const t2 = tenant('rf2', 2);
    const change = (phase: RingChange['phase']): RingChange => ({
      migrationId: 'm1',
      type: 'node_addition',
      nodeId: 'n4',
      tenantId: null,
      fromReplicationFactor: null,
      toReplicationFactor: null,
      phase,
    });
    const members = [...nodes.map((id) => node(id)), node('n4', 'joining')];
    const expectedHolders = (phase: RingChange['phase'], key: string): string[] => {
      const old = ownersOf(nodes, 'rf2', key, 2);
      const next = ownersOf(after, 'rf2', key, 2);
      if (phase === 'rolling_back') return old;
      if (phase === 'cleanup') return [...new Set([...next, old[0]!])];
      return [...new Set([...old, ...next])];
    };
    for (const phase of ['dual_write', 'cleanup', 'rolling_back'] as const) {
      const replicas = new FakeReplicas();
      for (let i = 0; i < 200; i++) {
        // The first old owner holds the key; in cleanup a node that lost it may still hold it.
        replicas.put(ownersOf(nodes, 'rf2', `k${i}`, 2)[0]!, 'rf2', `k${i}`, written(i + 1, 'v'));
      }
      const view = new RingView(7, members, change(phase));
      await pass(replicas, fixedViews(view), [t2]);
      for (let i = 0; i < 200; i++) {
        const key = `k${i}`;
        const holders = after.filter((id) => replicas.get(id, 'rf2', key) !== undefined);
        expect([phase, key, holders]).toEqual([phase, key, expectedHolders(phase, key).sort()]);
      }
    }
  });

  it('reloads the view after a stale ring version and compares the range again', async () => {
    const replicas = fullCluster(100);
    replicas.delete('n1', 't', 'k1');
    const old = new RingView(
      5,
      nodes.map((id) => node(id)),
      null,
    );
    const newer = new RingView(
      6,
      nodes.map((id) => node(id)),
      null,
    );
    replicas.minRingVersion = 6;
    let current = old;
    const views = {
      get current() {
        return current;
      },
      refreshes: 0,
      async refresh() {
        this.refreshes++;
        current = newer;
      },
    };
    const totals = await pass(replicas, views, [t]);
    expect(views.refreshes).toBeGreaterThan(0);
    expect(replicas.get('n1', 't', 'k1')).toBeDefined();
    expect(totals.rangesIncomplete).toBe(0);
    expect(totals.ringVersion).toBe(6);
  });

  describe('tombstones (docs/architecture.md#tombstone-purge)', () => {
    function deleted(counter: number): VersionSet {
      return update(
        written(counter, 'before'),
        VersionVector.from([['c1', BigInt(counter)]]),
        { actor: 'c1', counter: BigInt(counter + 1) },
        { tombstone: true },
      );
    }

    it('sends tombstones to an owner holding an older value, never to one holding nothing', async () => {
      const replicas = new FakeReplicas();
      // "gone": n3 still holds the value n1 and n2 deleted. "purged": n1 holds tombstones that
      // n2 and n3 already purged.
      for (const nodeId of ['n1', 'n2']) replicas.put(nodeId, 't', 'gone', deleted(1));
      replicas.put('n3', 't', 'gone', written(1, 'before'));
      replicas.put('n1', 't', 'purged', deleted(5));
      const view = new RingView(
        5,
        nodes.map((id) => node(id)),
        null,
      );
      await pass(replicas, fixedViews(view), [t]);
      expect(versionSetsEqual(replicas.get('n3', 't', 'gone')!, deleted(1))).toBe(true);
      expect(replicas.get('n2', 't', 'purged')).toBeUndefined();
      expect(replicas.get('n3', 't', 'purged')).toBeUndefined();
    });

    it('marks a range repaired on every owner, with its own horizon, only when all compared', async () => {
      const replicas = fullCluster(50);
      const view = new RingView(
        5,
        nodes.map((id) => node(id)),
        null,
      );
      const totals = await pass(replicas, fixedViews(view), [t]);
      expect(replicas.marks).toHaveLength(totals.rangesCompared * 3);
      const horizons = new Map(
        replicas.digestHorizons.map((d) => [`${d.nodeId} ${d.range.start}`, d.repairHorizonMs]),
      );
      for (const mark of replicas.marks) {
        expect(mark.verifiedBeforeMs).toBe(horizons.get(`${mark.nodeId} ${mark.range.start}`));
      }

      replicas.marks.length = 0;
      replicas.down.add('n2');
      const partial = await pass(replicas, fixedViews(view), [t], 2);
      expect(partial.rangesIncomplete).toBeGreaterThan(0);
      expect(replicas.marks).toEqual([]);
    });

    it('passes over single-owner ranges only to mark them', async () => {
      const replicas = new FakeReplicas();
      const t1 = tenant('rf1', 1);
      for (let i = 0; i < 100; i++) {
        replicas.put(ownersOf(nodes, 'rf1', `k${i}`, 1)[0]!, 'rf1', `k${i}`, written(i + 1, 'v'));
      }
      const view = new RingView(
        5,
        nodes.map((id) => node(id)),
        null,
      );
      const totals = await pass(replicas, fixedViews(view), [t1]);
      expect(replicas.scans).toEqual([]);
      expect(replicas.repairs).toEqual([]);
      expect(totals.rangesCompared).toBeGreaterThan(0);
      expect(new Set(replicas.marks.map((m) => m.nodeId))).toEqual(new Set(nodes));
    });
  });

  describe('pacing', () => {
    /** Fake time: each digest call costs DIGEST_MS, each rest what it asks for. */
    const DIGEST_MS = 10;

    function pacedRun(dutyCycle: number, halted = () => false) {
      const replicas = fullCluster(200);
      let nowMs = 0;
      const rests: number[] = [];
      const storage = {
        digest: (...args: Parameters<FakeReplicas['digest']>) => {
          nowMs += DIGEST_MS;
          return replicas.digest(...args);
        },
        scan: replicas.scan.bind(replicas),
        repairBatch: replicas.repairBatch.bind(replicas),
        markRangeRepaired: replicas.markRangeRepaired.bind(replicas),
      };
      const clock = {
        now: () => nowMs,
        sleep: async (ms: number) => {
          rests.push(ms);
          nowMs += ms;
        },
      };
      const view = new RingView(
        5,
        nodes.map((id) => node(id)),
        null,
      );
      const run = runPass(
        { storage, views: fixedViews(view), listTenants: async () => [t], logger, clock },
        { epoch: 1, rangesInFlight: 1, halted, dutyCycle },
      );
      return { run, rests, elapsedMs: () => nowMs };
    }

    it('rests after each range three times its work at a duty cycle of 0.25', async () => {
      const { run, rests, elapsedMs } = pacedRun(0.25);
      const totals = await run;
      // A converged range: one digest on each of 3 owners, 30 ms of work, then 90 ms of rest.
      expect(totals.rangesCompared).toBeGreaterThan(10);
      expect(rests).toEqual(Array.from({ length: totals.rangesCompared }, () => 90));
      const workMs = totals.rangesCompared * 3 * DIGEST_MS;
      expect(workMs / elapsedMs()).toBeCloseTo(0.25, 10);
    });

    it('does not rest at a duty cycle of 1, nor once the pass is halted', async () => {
      const unpaced = pacedRun(1);
      expect((await unpaced.run).rangesCompared).toBeGreaterThan(10);
      expect(unpaced.rests).toEqual([]);

      let ranges = 0;
      const halting = pacedRun(0.5, () => ranges++ >= 1);
      const totals = await halting.run;
      expect(totals.rangesCompared).toBe(1);
      expect(halting.rests).toEqual([]);
    });
  });

  it('covers only the tenant asked for, and counts its ranges before it starts', async () => {
    const other = tenant('other', 3);
    const replicas = new FakeReplicas();
    for (let i = 0; i < 50; i++) {
      replicas.put('n1', 't', `k${i}`, written(i + 1, 'v'));
      replicas.put('n1', 'other', `k${i}`, written(i + 1, 'v'));
    }
    const view = new RingView(
      5,
      nodes.map((id) => node(id)),
      null,
    );
    const planned: number[] = [];
    const totals = await runPass(
      {
        storage: replicas,
        views: fixedViews(view),
        listTenants: async () => [other, t],
        logger,
        onPlanned: (sofar) => planned.push(sofar.rangesTotal),
      },
      { epoch: 1, rangesInFlight: 2, halted: () => false, tenantId: 't' },
    );
    expect(replicas.keysOf('n2', 't')).toHaveLength(50);
    expect(replicas.keysOf('n2', 'other')).toEqual([]);
    expect(planned).toEqual([totals.rangesTotal]);
    expect(totals.rangesCompared).toBe(totals.rangesTotal);
  });

  it('compares once more at the end a range whose owner failed, once the owner is back', async () => {
    const replicas = fullCluster(300);
    for (let i = 0; i < 300; i += 7) replicas.delete('n3', 't', `k${i}`);
    // n3 fails its first 5 digests (restarting), then answers.
    let failing = 5;
    const storage = {
      digest: (...args: Parameters<FakeReplicas['digest']>) => {
        if (args[0].nodeId === 'n3' && failing > 0) {
          failing--;
          replicas.down.add('n3');
        }
        return replicas.digest(...args).finally(() => replicas.down.delete('n3'));
      },
      scan: replicas.scan.bind(replicas),
      repairBatch: replicas.repairBatch.bind(replicas),
      markRangeRepaired: replicas.markRangeRepaired.bind(replicas),
    };
    const view = new RingView(
      5,
      nodes.map((id) => node(id)),
      null,
    );
    const totals = await runPass(
      { storage, views: fixedViews(view), listTenants: async () => [t], logger },
      { epoch: 1, rangesInFlight: 2, halted: () => false },
    );
    expect(failing).toBe(0);
    expect(totals.rangesIncomplete).toBe(0);
    expect(totals.rangesCompared).toBe(totals.rangesTotal);
    expect(replicas.keysOf('n3', 't')).toHaveLength(300);
  });

  it('counts a range incomplete when its owner fails again at the end', async () => {
    const replicas = fullCluster(100);
    replicas.down.add('n3');
    const view = new RingView(
      5,
      nodes.map((id) => node(id)),
      null,
    );
    const totals = await pass(replicas, fixedViews(view), [t]);
    expect(totals.rangesCompared).toBe(0);
    expect(totals.rangesIncomplete).toBe(totals.rangesTotal);
  });
});
