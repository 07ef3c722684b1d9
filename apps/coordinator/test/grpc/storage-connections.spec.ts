// The coordinator's Exchange transport against an in-process stand-in for a storage node that
// answers some items and never answers others.
import {
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { storageV1 } from '@pairdb/proto';
import { VersionVector } from '@pairdb/vectorclock';
import { StreamingReplicaTransport } from '../../src/grpc/storage-connections';
import { ReplicaFailure } from '../../src/replicas/replica-failure';
import {
  prepareWrite,
  type ReplicaNode,
  type ReplicaReply,
} from '../../src/replicas/replica-transport';

/**
 * Answers every write with its dot as clock, except writes to key 'hang', never answered, and
 * writes to key 'garbled', answered with a clock entry no replica could hold (an empty actor).
 */
function exchange(
  call: ServerDuplexStream<storageV1.ExchangeRequest, storageV1.ExchangeResponse>,
): void {
  call.on('data', (request: storageV1.ExchangeRequest) => {
    const results: storageV1.ExchangeResult[] = [];
    for (const item of request.items) {
      if (item.operation?.$case !== 'write' || item.operation.value.key === 'hang') continue;
      const { dot, key } = item.operation.value;
      const clock = key === 'garbled' ? [{ actor: '', counter: 1n }] : [dot!];
      results.push({
        id: item.id,
        outcome: { $case: 'write', value: { versions: undefined, clock } },
      });
    }
    if (results.length > 0) call.write({ results });
  });
  call.on('end', () => call.end());
}

function write(key: string, counter: bigint) {
  return prepareWrite({
    tenantId: 't',
    key,
    value: Buffer.from('v'),
    context: VersionVector.EMPTY,
    dot: { actor: 'coord-1', counter },
    policy: 'lww',
    hintFor: undefined,
    ringVersion: 1,
  });
}

async function failure(promise: Promise<unknown>): Promise<ReplicaFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReplicaFailure);
  return error as ReplicaFailure;
}

describe('StreamingReplicaTransport', () => {
  let server: Server;
  let node: ReplicaNode;
  let transport: StreamingReplicaTransport;

  beforeAll(async () => {
    server = new Server();
    server.addService(storageV1.StorageServiceService, {
      exchange,
    } as unknown as UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    node = { nodeId: 'n1', address: `127.0.0.1:${port}` };
  });

  beforeEach(() => {
    transport = new StreamingReplicaTransport();
  });

  afterEach(async () => {
    await transport.close();
  });

  afterAll(() => {
    server.forceShutdown();
  });

  it('matches each reply to its request in a batch', async () => {
    const replies = await Promise.all([
      transport.send(node, write('a', 1n), 10_000),
      transport.send(node, write('b', 2n), 10_000),
    ]);
    expect(replies).toEqual<ReplicaReply[]>([
      { kind: 'write', clock: VersionVector.from([['coord-1', 1n]]) },
      { kind: 'write', clock: VersionVector.from([['coord-1', 2n]]) },
    ]);
  });

  it('sends what one turn queued as one batch and reports its size', async () => {
    const batches: number[] = [];
    const counted = new StreamingReplicaTransport({ onBatch: (items) => batches.push(items) });
    try {
      await Promise.all([1n, 2n, 3n].map((n) => counted.send(node, write('a', n), 10_000)));
      await counted.send(node, write('b', 4n), 10_000);
    } finally {
      await counted.close();
    }
    expect(batches).toEqual([3, 1]);
  });

  it('fails a reply it cannot read as that replica being corrupt, naming the bad field', async () => {
    const answered = transport.send(node, write('a', 2n), 10_000);
    const error = await failure(transport.send(node, write('garbled', 1n), 10_000));
    expect(error.kind).toBe('corrupt');
    expect(error.nodeId).toBe('n1');
    expect(error.reason).toContain('malformed write reply: clock');
    expect((await answered).kind).toBe('write');
  });

  it('fails an unanswered request DEADLINE_EXCEEDED and still answers the others', async () => {
    const hanging = transport.send(node, write('hang', 1n), 50);
    const answered = transport.send(node, write('a', 2n), 10_000);
    const error = await failure(hanging);
    expect(error.kind).toBe('timed-out');
    expect(error.message).toBe('n1: no reply within 50 ms');
    expect((await answered).kind).toBe('write');
  });

  it('times out a short deadline sent after a long one without waiting for the long one', async () => {
    let longSettled = false;
    const long = transport.send(node, write('hang', 1n), 60_000);
    long.catch(() => undefined).finally(() => (longSettled = true));
    // Were the deadline timer still armed for the long request, this would take a minute and
    // the test would time out.
    const error = await failure(transport.send(node, write('hang', 2n), 20));
    expect(error.message).toBe('n1: no reply within 20 ms');
    expect(longSettled).toBe(false);
    await transport.close();
    const closed = await failure(long);
    expect(closed.message).toBe('n1: connection closed');
    expect(closed.kind).toBe('unreachable');
  });

  it('times out each of many requests queued with the same deadline', async () => {
    const errors = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        failure(transport.send(node, write('hang', BigInt(i + 1)), 30)),
      ),
    );
    expect(errors.map((e) => e.kind)).toEqual(Array(20).fill('timed-out'));
  });
});
