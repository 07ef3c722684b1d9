// The coordinator's Exchange transport against an in-process stand-in for a storage node that
// answers some items and never answers others.
import {
  Server,
  ServerCredentials,
  status,
  type ServerDuplexStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { storageV1 } from '@pairdb/proto';
import { StreamingReplicaTransport } from '../../src/grpc/storage-connections';
import {
  prepareWrite,
  ReplicaError,
  type ReplicaNode,
  type ReplicaReply,
} from '../../src/replicas/replica-transport';

/** Answers every write with its dot as clock, except writes to key 'hang', never answered. */
function exchange(
  call: ServerDuplexStream<storageV1.ExchangeRequest, storageV1.ExchangeResponse>,
): void {
  call.on('data', (request: storageV1.ExchangeRequest) => {
    const results: storageV1.ExchangeResult[] = [];
    for (const item of request.items) {
      if (item.operation?.$case !== 'write' || item.operation.value.key === 'hang') continue;
      const { dot } = item.operation.value;
      results.push({
        id: item.id,
        outcome: { $case: 'write', value: { versions: undefined, clock: [dot!] } },
      });
    }
    if (results.length > 0) call.write({ results });
  });
  call.on('end', () => call.end());
}

function write(key: string, counter: bigint) {
  return prepareWrite(
    storageV1.WriteRequest.fromPartial({
      tenantId: 't',
      key,
      value: Buffer.from('v'),
      dot: { actor: 'coord-1', counter },
      replyClockOnly: true,
    }),
  );
}

async function failure(promise: Promise<unknown>): Promise<ReplicaError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReplicaError);
  return error as ReplicaError;
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
      { kind: 'write', value: { versions: undefined, clock: [{ actor: 'coord-1', counter: 1n }] } },
      { kind: 'write', value: { versions: undefined, clock: [{ actor: 'coord-1', counter: 2n }] } },
    ]);
  });

  it('fails an unanswered request DEADLINE_EXCEEDED and still answers the others', async () => {
    const hanging = transport.send(node, write('hang', 1n), 50);
    const answered = transport.send(node, write('a', 2n), 10_000);
    const error = await failure(hanging);
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
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
    expect((await failure(long)).message).toBe('n1: connection closed');
  });

  it('times out each of many requests queued with the same deadline', async () => {
    const errors = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        failure(transport.send(node, write('hang', BigInt(i + 1)), 30)),
      ),
    );
    expect(errors.map((e) => e.code)).toEqual(Array(20).fill(status.DEADLINE_EXCEEDED));
  });
});
