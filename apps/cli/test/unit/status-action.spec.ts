// `pairdb status` as run outside the cluster network (docker-compose, Kubernetes): the nodes
// registered names only the coordinator resolves, so health has to come from the coordinator.
import type { ListStorageNodesOptions, PairDBClient, StorageNode } from '@pairdb/client';
import { showStatus } from '../../src/actions/status-action';
import { Session } from '../../src/session';

/** RFC 6761 reserves .invalid: a probe from here fails as it does from a host under compose. */
const HOSTS = ['storage-node-0.invalid', 'storage-node-1.invalid'];

/** A coordinator that probes its nodes when asked to (and lists them bare otherwise). */
function coordinatorClient(asked: ListStorageNodesOptions[]): PairDBClient {
  const fake = {
    address: '127.0.0.1:50051',
    async listStorageNodes(options: ListStorageNodesOptions = {}): Promise<StorageNode[]> {
      asked.push(options);
      return HOSTS.map((host, index) => ({
        nodeId: `storage-node-${index}`,
        host,
        port: 50052,
        status: 'active',
        virtualNodes: 150,
        ...(options.includeHealth && {
          health: {
            answered: true,
            serving: true,
            approximateKeyCount: 7 + index,
            hintsPending: 0,
            freeDiskBytes: 3 * 2 ** 30,
          },
        }),
      }));
    },
    async listMigrations() {
      return [];
    },
    async getRepairStatus() {
      return { nodes: [] };
    },
  };
  return fake as unknown as PairDBClient;
}

describe('showStatus', () => {
  let written: string;
  let write: jest.SpyInstance;

  beforeEach(() => {
    written = '';
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written += String(chunk);
      return true;
    });
  });

  afterEach(() => write.mockRestore());

  it('shows nodes up, with key counts, that the CLI itself cannot resolve', async () => {
    const asked: ListStorageNodesOptions[] = [];
    const session = new Session();
    const client = coordinatorClient(asked);
    session.client = async () => client;
    await showStatus(session, { replicationFactor: 3 });
    write.mockRestore();
    expect(asked).toEqual([{ includeHealth: true }]);
    expect(written).toContain('2 storage nodes registered, 2 in the ring, 2 up\n');
    const rows = written.split('\n').filter((line) => line.startsWith('storage-node-'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /^storage-node-0 +storage-node-0\.invalid:50052 +active .* up +7 +0 +3\.0 GiB/,
    );
    expect(rows[1]).toMatch(
      /^storage-node-1 +storage-node-1\.invalid:50052 +active .* up +8 +0 +3\.0 GiB/,
    );
    expect(written).not.toContain('Name resolution');
  });
});
