// The client against a real gRPC server on 127.0.0.1 that answers from a script: conversions,
// deadlines, which operations are retried and which are not, and the errors callers see.
import { status } from '@grpc/grpc-js';
import { coordinatorV1, storageV1 } from '@pairdb/proto';
import { freePort } from '@pairdb/test-ports';
import { packQuorumFailure } from '@pairdb/wire-contract';
import {
  AlreadyExistsError,
  ClientUsageError,
  ConnectionError,
  DeadlineExceededError,
  NotFoundError,
  PairDBClient,
  probeStorageNode,
  QuorumError,
  UnavailableError,
} from '../src';
import { FakeCoordinator } from './fake-coordinator';

/** Above 2^53: a clock counter that a JavaScript number would round. */
const BIG_COUNTER = 2n ** 60n + 7n;
const UNAVAILABLE = { error: status.UNAVAILABLE, message: 'metadata store down' } as const;
const READ_REPLY = {
  reply: coordinatorV1.ReadKeyValueResponse.fromPartial({
    success: true,
    key: 'k',
    value: Buffer.from('v1'),
    vectorClock: { entries: [{ coordinatorNodeId: 'c1', logicalTimestamp: BIG_COUNTER }] },
    siblings: [
      { value: Buffer.from('v1'), dot: { coordinatorNodeId: 'c1', logicalTimestamp: 5n } },
      { value: Buffer.from('v2'), dot: { coordinatorNodeId: 'c2', logicalTimestamp: 6n } },
    ],
  }),
};
const WRITE_REPLY = {
  reply: coordinatorV1.WriteKeyValueResponse.fromPartial({
    success: true,
    key: 'k',
    replicaCount: 2,
    consistency: 'quorum',
  }),
};

/** Where freezeClock stops Date: deadlines the client computes become exact numbers. */
const FROZEN_NOW_MS = Date.UTC(2030, 0, 1);

/**
 * Stops Date (and only Date: grpc-js keeps its real timers, so a deadline still ends a call
 * after its real duration) for the rest of the test.
 */
function freezeClock(): void {
  jest.useFakeTimers({
    now: FROZEN_NOW_MS,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}

/** A port nothing listens on (below the ephemeral range, so no server's port 0 lands there). */
const closedPort = () => freePort();

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('PairDBClient', () => {
  let fake: FakeCoordinator;
  let client: PairDBClient;

  beforeEach(async () => {
    fake = new FakeCoordinator();
    await fake.start();
    client = new PairDBClient({
      address: fake.address,
      timeoutMs: 2_000,
      retry: { attempts: 3, backoffBaseMs: 5, backoffMaxMs: 20 },
    });
  });

  afterEach(async () => {
    jest.useRealTimers();
    jest.restoreAllMocks();
    client.close();
    await fake.stop();
  });

  it('keeps clock counters above 2^53 exact and returns every sibling', async () => {
    fake.on('readKeyValue', READ_REPLY);
    const read = await client.get('t', 'k', { consistency: 'all' });
    expect(read.value.toString()).toBe('v1');
    expect(read.vectorClock).toEqual([{ actor: 'c1', counter: BIG_COUNTER }]);
    expect(read.siblings.map((s) => [s.value.toString(), s.dot?.actor])).toEqual([
      ['v1', 'c1'],
      ['v2', 'c2'],
    ]);
    expect(fake.calls('readKeyValue')).toEqual([{ tenantId: 't', key: 'k', consistency: 'all' }]);
  });

  it('sends a write context back exactly as a read returned it', async () => {
    fake.on('readKeyValue', READ_REPLY).on('writeKeyValue', WRITE_REPLY);
    const read = await client.get('t', 'k');
    await client.put('t', 'k', 'merged', { context: read.vectorClock, idempotencyKey: 'id-1' });
    const sent = fake.calls('writeKeyValue')[0] as coordinatorV1.WriteKeyValueRequest;
    expect(sent.context?.entries).toEqual([
      { coordinatorNodeId: 'c1', logicalTimestamp: BIG_COUNTER },
    ]);
    expect(sent.value.toString()).toBe('merged');
    expect(sent.idempotencyKey).toBe('id-1');
    expect(sent.consistency).toBe('');
  });

  it('sends exactly the bytes of a Uint8Array view, offset and length respected', async () => {
    fake.on('writeKeyValue', WRITE_REPLY);
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    await client.put('t', 'k', backing.subarray(2, 5));
    const sent = fake.calls('writeKeyValue')[0] as coordinatorV1.WriteKeyValueRequest;
    expect([...sent.value]).toEqual([1, 2, 3]);
  });

  it('retries a read through UNAVAILABLE until it succeeds', async () => {
    fake.on('readKeyValue', UNAVAILABLE, UNAVAILABLE, READ_REPLY);
    expect((await client.get('t', 'k')).value.toString()).toBe('v1');
    expect(fake.calls('readKeyValue')).toHaveLength(3);
  });

  it('gives up after the configured attempts with the last error', async () => {
    fake.on('readKeyValue', UNAVAILABLE);
    const error = await rejection(client.get('t', 'k'));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('metadata store down');
    expect(fake.calls('readKeyValue')).toHaveLength(3);
  });

  it('never retries a write without an idempotency key: it might apply twice', async () => {
    fake.on('writeKeyValue', UNAVAILABLE, WRITE_REPLY);
    expect(await rejection(client.put('t', 'k', 'v'))).toBeInstanceOf(UnavailableError);
    expect(fake.calls('writeKeyValue')).toHaveLength(1);
  });

  it('retries a write that carries an idempotency key, through UNAVAILABLE and ABORTED', async () => {
    const inProgress = { error: status.ABORTED, message: 'still in progress' };
    fake.on('writeKeyValue', UNAVAILABLE, inProgress, WRITE_REPLY);
    const written = await client.put('t', 'k', 'v', { idempotencyKey: 'id-2' });
    expect(written.replicaCount).toBe(2);
    expect(fake.calls('writeKeyValue')).toHaveLength(3);
  });

  it('retries a delete only with an idempotency key', async () => {
    const reply = {
      reply: coordinatorV1.DeleteKeyValueResponse.fromPartial({ key: 'k', replicaCount: 3 }),
    };
    fake.on('deleteKeyValue', UNAVAILABLE, reply);
    expect(await rejection(client.delete('t', 'k'))).toBeInstanceOf(UnavailableError);
    fake.on('deleteKeyValue', UNAVAILABLE, reply);
    expect(await client.delete('t', 'k', { idempotencyKey: 'd1' })).toEqual({
      key: 'k',
      replicaCount: 3,
    });
    expect(fake.calls('deleteKeyValue')).toHaveLength(3);
  });

  it('does not retry admin changes: a repeated create would report ALREADY_EXISTS', async () => {
    fake.on('createTenant', UNAVAILABLE);
    expect(await rejection(client.createTenant('t'))).toBeInstanceOf(UnavailableError);
    expect(fake.calls('createTenant')).toHaveLength(1);
  });

  it('does not retry NOT_FOUND: the answer would not change', async () => {
    fake.on('readKeyValue', { error: status.NOT_FOUND, message: 'tenant "t" not found' });
    const error = await rejection(client.get('t', 'k'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('tenant "t" not found');
    expect(fake.calls('readKeyValue')).toHaveLength(1);
  });

  it('ends a call that never gets an answer at its deadline', async () => {
    freezeClock();
    fake.on('getTenant', { hang: true });
    const error = await rejection(client.getTenant('t', { timeoutMs: 300 }));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    // The call carried its own 300 ms, not the client's 2 s default.
    expect(fake.deadlines('getTenant')).toEqual([FROZEN_NOW_MS + 300]);
  });

  describe('with a backoff ceiling of 10 s and a 300 ms deadline', () => {
    const slowRetries = () =>
      new PairDBClient({
        address: fake.address,
        timeoutMs: 300,
        retry: { attempts: 5, backoffBaseMs: 10_000, backoffMaxMs: 10_000 },
      });

    it('skips a retry whose backoff would pass the deadline', async () => {
      freezeClock();
      // The jitter draws half the ceiling: a 5 s wait, past the deadline.
      jest.spyOn(Math, 'random').mockReturnValue(0.5);
      const timers = jest.spyOn(global, 'setTimeout');
      fake.on('listStorageNodes', UNAVAILABLE);
      const slow = slowRetries();
      try {
        expect(await rejection(slow.listStorageNodes())).toBeInstanceOf(UnavailableError);
      } finally {
        slow.close();
      }
      expect(fake.calls('listStorageNodes')).toHaveLength(1);
      expect(timers.mock.calls.map(([, delayMs]) => delayMs)).not.toContain(5_000);
    });

    it('takes every retry whose backoff ends before the deadline', async () => {
      freezeClock();
      // A 100 ms wait each time; the frozen clock leaves the whole 300 ms for each one.
      jest.spyOn(Math, 'random').mockReturnValue(0.01);
      fake.on('listStorageNodes', UNAVAILABLE);
      const slow = slowRetries();
      try {
        expect(await rejection(slow.listStorageNodes())).toBeInstanceOf(UnavailableError);
      } finally {
        slow.close();
      }
      expect(fake.calls('listStorageNodes')).toHaveLength(5);
    });
  });

  it('names quorum failures with achieved, required and each replica, from the status details', async () => {
    const replicas = [{ nodeId: 'node-1', code: 'DEADLINE_EXCEEDED', message: 'timed out' }];
    fake.on('writeKeyValue', {
      error: status.UNAVAILABLE,
      // Text that says otherwise: the numbers must come from the details, not the message.
      message: 'write quorum not reached: 9/9 replicas acknowledged (node-1: timed out)',
      details: [packQuorumFailure({ operation: 'write', achieved: 1, required: 2, replicas })],
    });
    const error = await rejection(client.put('t', 'k', 'v'));
    expect(error).toBeInstanceOf(QuorumError);
    expect(error).toMatchObject({ achieved: 1, required: 2, replicas, code: 'UNAVAILABLE' });
    expect(error.message).toBe(
      'write quorum not reached: 9/9 replicas acknowledged (node-1: timed out)',
    );
  });

  it('maps ALREADY_EXISTS to its class with the server message', async () => {
    fake.on('addStorageNode', {
      error: status.ALREADY_EXISTS,
      message: 'storage node "n1" already exists',
    });
    const error = await rejection(client.addStorageNode({ nodeId: 'n1', host: 'h', port: 1 }));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toMatchObject({ operation: 'AddStorageNode', code: 'ALREADY_EXISTS' });
  });

  it('refuses a bad consistency level before sending anything', async () => {
    const error = await rejection(client.get('t', 'k', { consistency: 'most' as 'all' }));
    expect(error).toBeInstanceOf(ClientUsageError);
    expect(error.message).toContain('"most"');
    expect(fake.calls('readKeyValue')).toHaveLength(0);
  });

  it('converts tenants, nodes and migrations to plain numbers', async () => {
    fake
      .on('getTenant', {
        reply: coordinatorV1.GetTenantResponse.fromPartial({
          tenant: { tenantId: 't', replicationFactor: 3, conflictResolution: 'lww', version: 4n },
        }),
      })
      .on('listStorageNodes', {
        reply: coordinatorV1.ListStorageNodesResponse.fromPartial({
          nodes: [{ nodeId: 'n', host: 'h', port: 9, status: 'active', virtualNodes: 8 }],
        }),
      })
      .on('getMigrationStatus', {
        reply: coordinatorV1.GetMigrationStatusResponse.fromPartial({
          migration: { migrationId: 'm', keysMigrated: 5n, totalKeys: 10n, percentage: 50 },
        }),
      });
    expect(await client.getTenant('t')).toMatchObject({ replicationFactor: 3, version: 4 });
    expect(await client.listStorageNodes()).toEqual([
      { nodeId: 'n', host: 'h', port: 9, status: 'active', virtualNodes: 8 },
    ]);
    expect(await client.getMigrationStatus('m')).toMatchObject({
      keysMigrated: 5,
      totalKeys: 10,
      percentage: 50,
    });
  });

  it("asks for health only with includeHealth, and gives each node the coordinator's probe", async () => {
    fake.on('listStorageNodes', {
      reply: coordinatorV1.ListStorageNodesResponse.fromPartial({
        nodes: [
          {
            nodeId: 'up',
            status: 'active',
            health: {
              answered: true,
              serving: true,
              approximateKeyCount: 12n,
              hintsPending: 2n,
              freeDiskBytes: 5_000_000_000n,
            },
          },
          {
            nodeId: 'down',
            status: 'active',
            health: { answered: false, error: 'Name resolution failed for target dns:x:1' },
          },
          { nodeId: 'gone', status: 'inactive' },
        ],
      }),
    });
    const nodes = await client.listStorageNodes({ includeHealth: true });
    expect(nodes.map((node) => [node.nodeId, node.health])).toEqual([
      [
        'up',
        {
          answered: true,
          serving: true,
          approximateKeyCount: 12,
          hintsPending: 2,
          freeDiskBytes: 5_000_000_000,
        },
      ],
      ['down', { answered: false, error: 'Name resolution failed for target dns:x:1' }],
      ['gone', undefined],
    ]);
    expect('health' in nodes[2]!).toBe(false);
    await client.listStorageNodes();
    expect(fake.calls('listStorageNodes')).toEqual([
      { includeHealth: true },
      { includeHealth: false },
    ]);
  });

  it("answers a factor change with the tenant and its migration, and sends a removal's force", async () => {
    fake
      .on('updateReplicationFactor', {
        reply: coordinatorV1.UpdateReplicationFactorResponse.fromPartial({
          tenant: { tenantId: 't', replicationFactor: 2, version: 3n },
          migrationId: 'mig-rf',
        }),
      })
      .on('removeStorageNode', {
        reply: coordinatorV1.RemoveStorageNodeResponse.fromPartial({ migrationId: 'mig-rm' }),
      });
    const change = await client.setReplicationFactor('t', 3, { expectedVersion: 3 });
    expect(change.migrationId).toBe('mig-rf');
    expect(change.tenant).toMatchObject({ tenantId: 't', replicationFactor: 2, version: 3 });
    expect(fake.calls('updateReplicationFactor')).toEqual([
      { tenantId: 't', replicationFactor: 3, expectedVersion: 3n },
    ]);
    expect(await client.removeStorageNode('n', { force: true })).toEqual({ migrationId: 'mig-rm' });
    expect(fake.calls('removeStorageNode')).toEqual([{ nodeId: 'n', force: true }]);
  });

  it('starts a repair of one tenant and reads its status as plain numbers, absent parts left out', async () => {
    fake
      .on('startRepair', {
        reply: coordinatorV1.StartRepairResponse.fromPartial({ repairId: 'rep-1' }),
      })
      .on('getRepairStatus', {
        reply: coordinatorV1.GetRepairStatusResponse.fromPartial({
          repair: { repairId: 'rep-1', tenantId: 'shop', status: 'running', rangesDone: 3n },
          nodes: [{ nodeId: 'n1', lastCompletedAtUnixMs: 1_700n, keysRepaired: 9n }],
        }),
      });
    expect(await client.startRepair({ tenantId: 'shop' })).toBe('rep-1');
    expect(await client.startRepair()).toBe('rep-1');
    expect(fake.calls('startRepair')).toEqual([{ tenantId: 'shop' }, { tenantId: '' }]);
    const status = await client.getRepairStatus({ repairId: 'rep-1' });
    expect(fake.calls('getRepairStatus')).toEqual([{ repairId: 'rep-1' }]);
    expect(status.repair).toMatchObject({ repairId: 'rep-1', tenantId: 'shop', rangesDone: 3 });
    expect(status.running).toBeUndefined();
    expect(status.lastCompleted).toBeUndefined();
    expect(status.nodes).toEqual([{ nodeId: 'n1', lastCompletedAtUnixMs: 1_700, keysRepaired: 9 }]);
  });

  it('probes a storage node for its health and key count', async () => {
    fake.healthReply = storageV1.HealthCheckResponse.fromPartial({
      nodeId: 'node-0',
      serving: true,
      hintsPending: 2n,
      freeDiskBytes: 1024n,
      approximateKeyCount: 12n,
    });
    expect(await probeStorageNode(fake.address)).toEqual({
      nodeId: 'node-0',
      serving: true,
      hintsPending: 2,
      freeDiskBytes: 1024,
      approximateKeyCount: 12,
    });
  });
});

describe('PairDBClient without a server', () => {
  it('reports a refused connection as ConnectionError naming the address, after retrying', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const client = new PairDBClient({ address, retry: { backoffBaseMs: 5 } });
    try {
      const error = await rejection(client.get('t', 'k'));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toContain(address);
    } finally {
      client.close();
    }
  });
});
