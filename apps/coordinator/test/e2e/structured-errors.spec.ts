// Structured errors through the public contract, as a client in another language reads them: an
// ALL write with one storage node stopped (SIGSTOP) fails UNAVAILABLE, and the google.rpc.Status
// in `grpc-status-details-bin`, decoded from the .proto files alone, holds a QuorumFailure with
// achieved 2, required 3 and the stopped node's failure; the message stays the one for people.
import { startCluster, type Cluster, failure } from './cluster-harness';
import { decodeStatusDetails, PublicProtoClient } from './public-proto-client';

describe('quorum failure details through the public proto', () => {
  let cluster: Cluster;
  let client: PublicProtoClient;

  beforeAll(async () => {
    cluster = await startCluster(3);
    client = new PublicProtoClient(`127.0.0.1:${cluster.coordinator.grpcPort}`);
    await client.call('CreateTenant', { tenant_id: 'details', replication_factor: 3 });
  });

  afterAll(async () => {
    client?.close();
    for (const node of cluster?.nodes ?? []) node.child?.kill('SIGCONT');
    await cluster?.stop();
  });

  it('an ALL write with one node stopped carries achieved 2, required 3 and that node', async () => {
    const write = { tenant_id: 'details', key: 'k', value: Buffer.from('v'), consistency: 'all' };
    await client.call('WriteKeyValue', write);
    const stopped = cluster.nodes[1]!;
    stopped.child!.kill('SIGSTOP');
    try {
      const error = await failure(
        client.call('WriteKeyValue', { ...write, value: Buffer.from('w') }),
      );
      expect(error.code).toBe(14); // UNAVAILABLE
      expect(error.details).toMatch(
        /^write quorum not reached: 2\/3 replicas acknowledged \(node-1: /,
      );
      const status = decodeStatusDetails(error);
      expect(status).toMatchObject({ code: 14, message: error.details });
      expect(status!.details).toEqual([
        {
          typeName: 'pairdb.coordinator.v1.QuorumFailure',
          fields: {
            operation: 'write',
            achieved: 2,
            required: 3,
            replicas: [
              {
                node_id: 'node-1',
                code: 'DEADLINE_EXCEEDED',
                message: expect.stringContaining('no reply within'),
              },
            ],
          },
        },
      ]);
    } finally {
      stopped.child!.kill('SIGCONT');
    }
  });

  it('an error other than a quorum failure carries a google.rpc.Status with no details', async () => {
    const error = await failure(
      client.call('ReadKeyValue', { tenant_id: 'details', key: 'never-written' }),
    );
    expect(error.code).toBe(5); // NOT_FOUND
    expect(decodeStatusDetails(error)).toEqual({ code: 5, message: error.details, details: [] });
  });
});
