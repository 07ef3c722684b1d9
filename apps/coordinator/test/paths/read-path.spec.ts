import { HybridLogicalClock, liveValues, readContext, VersionVector } from '@pairdb/vectorclock';
import { QuorumError } from '../../src/errors';
import { NodeHealth } from '../../src/replicas/node-health';
import { ReadPath } from '../../src/paths/read-path';
import { ReadRepairQueue } from '../../src/paths/read-repair';
import { WritePath } from '../../src/paths/write-path';
import { FakeCluster } from './fake-cluster';

function setup() {
  const cluster = new FakeCluster(['n1', 'n2', 'n3']);
  const health = new NodeHealth();
  const counts = { triggered: 0, done: 0, dropped: 0, failed: 0 };
  const repairs = new ReadRepairQueue({
    transport: cluster,
    timeoutMs: 200,
    events: {
      onTriggered: () => counts.triggered++,
      onDone: () => counts.done++,
      onDropped: () => counts.dropped++,
      onFailed: () => counts.failed++,
    },
  });
  const clock = new HybridLogicalClock('coord-1');
  const writes = new WritePath({
    actor: 'coord-1',
    clock,
    placement: cluster,
    transport: cluster,
    health,
    timeoutMs: 200,
  });
  const reads = new ReadPath({
    placement: cluster,
    transport: cluster,
    health,
    repairs,
    timeoutMs: 200,
  });
  return { cluster, writes, reads, repairs, counts };
}

const text = (values: { value: Uint8Array }[]) =>
  values.map((v) => Buffer.from(v.value).toString()).sort();

describe('read path', () => {
  it('reads back a QUORUM write', async () => {
    const { writes, reads } = setup();
    await writes.write({
      tenantId: 't',
      key: 'k',
      value: Buffer.from('v1'),
      context: VersionVector.EMPTY,
      consistency: 'quorum',
      replicationFactor: 3,
      policy: 'lww',
    });
    const outcome = await reads.read({
      tenantId: 't',
      key: 'k',
      consistency: 'quorum',
      replicationFactor: 3,
      policy: 'lww',
    });
    expect(text(liveValues(outcome.versions))).toEqual(['v1']);
  });

  it('repairs a replica that missed a write, including one that answers after the client got its reply', async () => {
    const { cluster, writes, reads, repairs, counts } = setup();
    cluster.node('n3').mode = 'down';
    await writes.write({
      tenantId: 't',
      key: 'k',
      value: Buffer.from('v1'),
      context: VersionVector.EMPTY,
      consistency: 'quorum',
      replicationFactor: 3,
      policy: 'lww',
    });
    cluster.node('n3').mode = 'up';
    cluster.node('n3').delayMs = 60;
    const outcome = await reads.read({
      tenantId: 't',
      key: 'k',
      consistency: 'quorum',
      replicationFactor: 3,
      policy: 'lww',
    });
    expect(text(liveValues(outcome.versions))).toEqual(['v1']);
    expect(cluster.node('n3').data.get('t/k')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await repairs.idle();
    expect(counts).toEqual({ triggered: 1, done: 1, dropped: 0, failed: 0 });
    expect(text(liveValues(cluster.node('n3').data.get('t/k')!))).toEqual(['v1']);
  });

  it('repairs a replica that holds an older version, not only one that holds none', async () => {
    const { cluster, writes, reads, repairs, counts } = setup();
    const base = {
      tenantId: 't',
      key: 'old',
      context: VersionVector.EMPTY,
      consistency: 'all' as const,
      replicationFactor: 3,
      policy: 'lww' as const,
    };
    await writes.write({ ...base, value: Buffer.from('v1') });
    const first = await reads.read({
      tenantId: 't',
      key: 'old',
      consistency: 'all',
      replicationFactor: 3,
      policy: 'lww',
    });
    await repairs.idle();
    const before = counts.triggered;
    cluster.node('n3').mode = 'down';
    await writes.write({
      ...base,
      consistency: 'quorum',
      value: Buffer.from('v2'),
      context: readContext(first.versions),
    });
    cluster.node('n3').mode = 'up';
    expect(text(liveValues(cluster.node('n3').data.get('t/old')!))).toEqual(['v1']);
    const outcome = await reads.read({
      tenantId: 't',
      key: 'old',
      consistency: 'all',
      replicationFactor: 3,
      policy: 'lww',
    });
    expect(text(liveValues(outcome.versions))).toEqual(['v2']);
    await repairs.idle();
    expect(counts.triggered - before).toBe(1);
    expect(text(liveValues(cluster.node('n3').data.get('t/old')!))).toEqual(['v2']);
  });

  it('sends tombstones to a replica holding an older value, never to one holding nothing', async () => {
    const { cluster, writes, reads, repairs } = setup();
    const base = {
      tenantId: 't',
      context: VersionVector.EMPTY,
      replicationFactor: 3,
      policy: 'lww' as const,
    };
    // "gone": n3 holds the value the others deleted. "purged": n3 holds tombstones, n1 and n2
    // nothing (as after their purge, docs/architecture.md#tombstone-purge).
    await writes.write({ ...base, key: 'gone', value: Buffer.from('v1'), consistency: 'all' });
    await writes.write({ ...base, key: 'purged', value: undefined, consistency: 'all' });
    const written = cluster.node('n1').data.get('t/gone')!;
    cluster.node('n3').mode = 'down';
    await writes.write({
      ...base,
      key: 'gone',
      value: undefined,
      consistency: 'quorum',
      context: readContext(written),
    });
    cluster.node('n3').mode = 'up';
    cluster.node('n1').data.delete('t/purged');
    cluster.node('n2').data.delete('t/purged');

    for (const key of ['gone', 'purged']) {
      await reads.read({
        tenantId: 't',
        key,
        consistency: 'all',
        replicationFactor: 3,
        policy: 'lww',
      });
    }
    await repairs.idle();
    expect(liveValues(cluster.node('n3').data.get('t/gone')!)).toEqual([]);
    expect(cluster.node('n1').data.has('t/purged')).toBe(false);
    expect(cluster.node('n2').data.has('t/purged')).toBe(false);
  });

  it('reconciles concurrent versions into siblings and a context that resolves them', async () => {
    const { cluster, writes, reads } = setup();
    const base = {
      tenantId: 't',
      key: 's',
      context: VersionVector.EMPTY,
      consistency: 'all' as const,
      replicationFactor: 3,
      policy: 'siblings' as const,
    };
    await writes.write({ ...base, value: Buffer.from('a') });
    await writes.write({ ...base, value: Buffer.from('b') });
    const read = await reads.read({
      tenantId: 't',
      key: 's',
      consistency: 'quorum',
      replicationFactor: 3,
      policy: 'siblings',
    });
    expect(read.conflict).toBe(true);
    expect(text(liveValues(read.versions))).toEqual(['a', 'b']);
    await writes.write({ ...base, value: Buffer.from('c'), context: readContext(read.versions) });
    const resolved = await reads.read({
      tenantId: 't',
      key: 's',
      consistency: 'all',
      replicationFactor: 3,
      policy: 'siblings',
    });
    expect(text(liveValues(resolved.versions))).toEqual(['c']);
    expect(resolved.conflict).toBe(false);
    expect(cluster.node('n1').data.get('t/s')!.siblings).toHaveLength(1);
  });

  it('fails with achieved/required when too few replicas answer', async () => {
    const { cluster, reads } = setup();
    cluster.node('n1').mode = 'down';
    cluster.node('n2').mode = 'down';
    const error = await reads
      .read({ tenantId: 't', key: 'k', consistency: 'quorum', replicationFactor: 3, policy: 'lww' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuorumError);
    expect((error as Error).message).toContain('1/2');
  });

  it('drops and counts repairs beyond the queue bound', async () => {
    const cluster = new FakeCluster(['n1']);
    cluster.node('n1').mode = 'hang';
    let dropped = 0;
    const queue = new ReadRepairQueue({
      transport: cluster,
      timeoutMs: 50,
      queueMax: 2,
      workers: 1,
      events: { onDropped: () => dropped++ },
    });
    const job = {
      node: { nodeId: 'n1', address: 'x' },
      tenantId: 't',
      key: 'k',
      versions: { context: VersionVector.EMPTY, siblings: [] },
      policy: 'lww' as const,
      ringVersion: 1,
    };
    const accepted = [1, 2, 3, 4].map(() => queue.enqueue(job));
    expect(accepted).toEqual([true, true, true, false]);
    expect(dropped).toBe(1);
    await queue.idle();
  });
});
