// Replies a request path cannot use and replicas that refuse: each counts as that replica's
// classified failure, the request answers from the others when it can, and a quorum it cannot
// reach says which replicas failed and how.
import { status } from '@grpc/grpc-js';
import { HybridLogicalClock, liveValues, VersionVector } from '@pairdb/vectorclock';
import { statusDetailsOf, unpackQuorumFailure } from '@pairdb/wire-contract';
import { OverloadedQuorumError, QuorumError } from '../../src/errors';
import { statusCodeOf, toGrpcError } from '../../src/grpc/status';
import { ReadPath } from '../../src/paths/read-path';
import { ReadRepairQueue } from '../../src/paths/read-repair';
import { WritePath, type WriteCommand } from '../../src/paths/write-path';
import { NodeHealth } from '../../src/replicas/node-health';
import type { ReplicaTransport } from '../../src/replicas/replica-transport';
import type { StorageOutcome } from '../../src/replicas/storage-replies';
import { FakeCluster } from './fake-cluster';

function setup(transportOf: (cluster: FakeCluster) => ReplicaTransport = (c) => c) {
  const cluster = new FakeCluster(['n1', 'n2', 'n3']);
  const transport = transportOf(cluster);
  // A clock that never moves: a suspicion lasts for the whole test.
  const health = new NodeHealth(2_000, () => 0);
  const repairs = new ReadRepairQueue({ transport, timeoutMs: 200 });
  const writes = new WritePath({
    actor: 'coord-1',
    clock: new HybridLogicalClock('coord-1'),
    placement: cluster,
    transport,
    health,
    timeoutMs: 200,
  });
  const reads = new ReadPath({ placement: cluster, transport, health, repairs, timeoutMs: 200 });
  return { cluster, health, writes, reads, repairs };
}

const write = (overrides: Partial<WriteCommand> = {}): WriteCommand => ({
  tenantId: 't',
  key: 'k',
  value: Buffer.from('v1'),
  context: VersionVector.EMPTY,
  consistency: 'all',
  replicationFactor: 3,
  policy: 'lww',
  ...overrides,
});

const read = (consistency: 'quorum' | 'all') => ({
  tenantId: 't',
  key: 'k',
  consistency,
  replicationFactor: 3,
  policy: 'lww' as const,
});

/** A read reply whose only sibling has lost its dot. */
function dropDots(outcome: StorageOutcome): StorageOutcome {
  if (outcome?.$case !== 'read' || !outcome.value.versions) return outcome;
  const versions = outcome.value.versions;
  return {
    $case: 'read',
    value: {
      found: true,
      versions: { ...versions, siblings: versions.siblings.map((s) => ({ ...s, dot: undefined })) },
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('a replica reply the read path cannot use', () => {
  it('answers a QUORUM read from the others when one replica sends a sibling without a dot', async () => {
    const { cluster, health, writes, reads, repairs } = setup();
    await writes.write(write());
    cluster.node('n2').rewriteReply = dropDots;
    const outcome = await reads.read(read('quorum'));
    expect(liveValues(outcome.versions).map((s) => Buffer.from(s.value).toString())).toEqual([
      'v1',
    ]);
    await repairs.idle();
    expect(health.isSuspect('n2')).toBe(true);
    expect(health.isSuspect('n1')).toBe(false);
  });

  it('fails an ALL read naming the replica whose reply was malformed, as corrupt', async () => {
    const { cluster, writes, reads } = setup();
    await writes.write(write());
    cluster.node('n3').rewriteReply = dropDots;
    const error = await rejection(reads.read(read('all')));
    expect(error).toBeInstanceOf(QuorumError);
    const quorum = error as QuorumError;
    expect([quorum.achieved, quorum.required]).toEqual([2, 3]);
    expect(quorum.failures.map((f) => [f.nodeId, f.kind])).toEqual([['n3', 'corrupt']]);
    expect(quorum.failures[0]!.reason).toContain('versions.siblings[0].dot is required');
  });

  it('counts a reply of the wrong kind as that replica failing', async () => {
    const { writes, reads, health } = setup((cluster) => ({
      send: async (node, operation, timeoutMs) =>
        node.nodeId === 'n1' && operation.kind === 'read'
          ? { kind: 'write', clock: VersionVector.EMPTY }
          : cluster.send(node, operation, timeoutMs),
      close: () => cluster.close(),
    }));
    await writes.write(write());
    const error = (await rejection(reads.read(read('all')))) as QuorumError;
    expect(error.failures.map((f) => [f.nodeId, f.kind, f.reason])).toEqual([
      ['n1', 'corrupt', 'unexpected write reply to a read'],
    ]);
    expect(health.isSuspect('n1')).toBe(true);
    const outcome = await reads.read(read('quorum'));
    expect(liveValues(outcome.versions)).toHaveLength(1);
  });
});

describe('a write quorum lost to replicas whose disk guard tripped', () => {
  it('fails RESOURCE_EXHAUSTED with achieved, required and each replica in the details', async () => {
    const { cluster, writes } = setup();
    cluster.node('n3').mode = 'disk-full';
    const error = await rejection(writes.write(write()));
    expect(error).toBeInstanceOf(OverloadedQuorumError);
    expect(statusCodeOf(error)).toBe(status.RESOURCE_EXHAUSTED);
    const grpcError = toGrpcError(error);
    expect(grpcError.details).toBe(
      'write quorum not reached: 2/3 replicas acknowledged ' +
        '(n3: disk guard tripped: 1000 bytes free, below the floor of 2000)',
    );
    expect(unpackQuorumFailure(statusDetailsOf(grpcError.metadata!))).toEqual({
      operation: 'write',
      achieved: 2,
      required: 3,
      replicas: [
        {
          nodeId: 'n3',
          code: 'RESOURCE_EXHAUSTED',
          message: 'disk guard tripped: 1000 bytes free, below the floor of 2000',
        },
      ],
    });
  });

  it('stays RESOURCE_EXHAUSTED with a down replica too, when the full disks alone cost the quorum', async () => {
    const { cluster, writes } = setup();
    cluster.node('n2').mode = 'disk-full';
    cluster.node('n3').mode = 'down';
    const error = await rejection(writes.write(write()));
    expect(statusCodeOf(error)).toBe(status.RESOURCE_EXHAUSTED);
    expect((error as QuorumError).failures.map((f) => [f.nodeId, f.kind]).sort()).toEqual([
      ['n2', 'overloaded'],
      ['n3', 'unreachable'],
    ]);
  });

  it('is UNAVAILABLE when the quorum would have been reached had the down replica answered', async () => {
    const { cluster, writes } = setup();
    cluster.node('n2').mode = 'disk-full';
    cluster.node('n3').mode = 'down';
    const error = await rejection(writes.write(write({ consistency: 'quorum' })));
    expect(error).toBeInstanceOf(QuorumError);
    expect(error).not.toBeInstanceOf(OverloadedQuorumError);
    expect(statusCodeOf(error)).toBe(status.UNAVAILABLE);
    const details = unpackQuorumFailure(statusDetailsOf(toGrpcError(error).metadata!));
    expect(details?.replicas.map((r) => [r.nodeId, r.code]).sort()).toEqual([
      ['n2', 'RESOURCE_EXHAUSTED'],
      ['n3', 'UNAVAILABLE'],
    ]);
  });
});
