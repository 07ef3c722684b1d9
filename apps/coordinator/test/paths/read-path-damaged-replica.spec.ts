// A replica that answers a read with DATA_LOSS (its stored version of the key is damaged) is
// not a node failure: the read answers from the others, and that replica gets the reconciled set
// as a read repair, which is what lets the storage node replace its damaged version.
import { HybridLogicalClock, liveValues, VersionVector } from '@pairdb/vectorclock';
import { NodeHealth } from '../../src/replicas/node-health';
import { ReadPath } from '../../src/paths/read-path';
import { ReadRepairQueue } from '../../src/paths/read-repair';
import { WritePath } from '../../src/paths/write-path';
import { failureFromStatus } from '../../src/replicas/storage-replies';
import {
  type PreparedOperation,
  type ReplicaNode,
  type ReplicaReply,
  type ReplicaTransport,
} from '../../src/replicas/replica-transport';
import { FakeCluster } from './fake-cluster';

/** google.rpc.Code DATA_LOSS, as a storage node answers for a damaged stored version. */
const DATA_LOSS = 15;

/** The fake cluster, except that reads of `damagedNode` fail with DATA_LOSS while it is set. */
class DamagedReads implements ReplicaTransport {
  damagedNode: string | undefined;
  constructor(private readonly cluster: FakeCluster) {}

  send(target: ReplicaNode, operation: PreparedOperation, timeoutMs: number) {
    if (target.nodeId === this.damagedNode && operation.kind === 'read') {
      this.cluster.node(target.nodeId).received.push(operation.kind);
      return Promise.reject<ReplicaReply>(
        failureFromStatus(target.nodeId, DATA_LOSS, 'data block fails its CRC check'),
      );
    }
    return this.cluster.send(target, operation, timeoutMs);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('read path with a replica whose stored version is damaged', () => {
  it('answers from the others, keeps the node healthy and repairs it with the reconciled set', async () => {
    const cluster = new FakeCluster(['n1', 'n2', 'n3']);
    const transport = new DamagedReads(cluster);
    const health = new NodeHealth();
    const counts = { triggered: 0, done: 0, failed: 0 };
    const repairs = new ReadRepairQueue({
      transport,
      timeoutMs: 1_000,
      events: {
        onTriggered: () => counts.triggered++,
        onDone: () => counts.done++,
        onFailed: () => counts.failed++,
      },
    });
    const writes = new WritePath({
      actor: 'coord-1',
      clock: new HybridLogicalClock('coord-1'),
      placement: cluster,
      transport,
      health,
      timeoutMs: 1_000,
    });
    const reads = new ReadPath({
      placement: cluster,
      transport,
      health,
      repairs,
      timeoutMs: 1_000,
    });
    await writes.write({
      tenantId: 't',
      key: 'k',
      value: Buffer.from('v1'),
      context: VersionVector.EMPTY,
      consistency: 'all',
      replicationFactor: 3,
      policy: 'lww',
    });
    // Stands for the damaged bytes: the node's own copy is gone from its point of view.
    cluster.node('n3').data.clear();
    transport.damagedNode = 'n3';

    const outcome = await reads.read({
      tenantId: 't',
      key: 'k',
      consistency: 'quorum',
      replicationFactor: 3,
      policy: 'lww',
    });
    expect(liveValues(outcome.versions).map((v) => Buffer.from(v.value).toString())).toEqual([
      'v1',
    ]);
    await repairs.idle();
    expect(counts).toEqual({ triggered: 1, done: 1, failed: 0 });
    expect(cluster.node('n3').received).toContain('repair');
    const repaired = cluster.node('n3').data.get('t/k');
    expect(liveValues(repaired!).map((v) => Buffer.from(v.value).toString())).toEqual(['v1']);
    expect(health.isSuspect('n3')).toBe(false);
  });
});
