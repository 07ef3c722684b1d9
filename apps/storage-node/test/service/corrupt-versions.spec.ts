// Stored bytes under a real data key that do not decode as a version set: the node answers
// DATA_LOSS naming the node, the tenant, the key and the engine key, on the unary RPCs and on the
// coordinator's Exchange stream, and keeps serving every other key.
import { status, type ServiceError } from '@grpc/grpc-js';
import { Engine } from '../../src/engine';
import type { StorageNode } from '../../src/node';
import { encodeDataKey } from '../../src/versions/engine-keys';
import { dot, TestStorageClient, values } from '../support/storage-client';
import { removeDir, startTestNode, tempDir } from '../support/test-node';

/** Not a version set: format version 0 is reserved. */
const UNDECODABLE = Buffer.from([0x00, 0x01, 0x02]);

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('a stored version set that cannot be decoded', () => {
  let dir: string;
  let node: StorageNode;
  let client: TestStorageClient;
  const engineKey = encodeDataKey('acme', 'damaged');

  beforeAll(async () => {
    dir = tempDir();
    const engine = await Engine.open({ dir, syncPolicy: 'always', diskFreeBytesMin: 0 });
    await engine.put(engineKey, UNDECODABLE);
    await engine.close();
    node = await startTestNode({ dataDir: dir, nodeId: 'node-7' });
    client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    await client.write({
      tenantId: 'acme',
      key: 'healthy',
      value: Buffer.from('ok'),
      dot: dot('c1', 1),
    });
  });

  afterAll(async () => {
    client.close();
    await node.stop();
    removeDir(dir);
  });

  it('fails a read DATA_LOSS, naming node, tenant, key and engine key', async () => {
    const error = await grpcError(client.read('acme', 'damaged'));
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain('key "damaged" in tenant "acme" on node node-7');
    expect(error.details).toContain(`engine key ${engineKey.toString('hex')}`);
    expect(error.details).toContain('format version 0 is reserved');
  });

  it('fails a write over the damaged copy the same way instead of replacing it', async () => {
    const error = await grpcError(
      client.write({
        tenantId: 'acme',
        key: 'damaged',
        value: Buffer.from('x'),
        dot: dot('c1', 2),
      }),
    );
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain('key "damaged" in tenant "acme" on node node-7');
  });

  it('answers the same failure on the Exchange stream the coordinator uses', async () => {
    const results = await client.exchange([
      {
        id: 1,
        timeoutMs: 0,
        operation: { $case: 'read', value: { tenantId: 'acme', key: 'damaged', ringVersion: 0n } },
      },
      {
        id: 2,
        timeoutMs: 0,
        operation: { $case: 'read', value: { tenantId: 'acme', key: 'healthy', ringVersion: 0n } },
      },
    ]);
    const damaged = results.get(1)!.outcome;
    expect(damaged?.$case).toBe('error');
    if (damaged?.$case !== 'error') return;
    expect(damaged.value.code).toBe(status.DATA_LOSS);
    expect(damaged.value.message).toContain('on node node-7');
    const healthy = results.get(2)!.outcome;
    expect(healthy?.$case === 'read' && values(healthy.value.versions)).toEqual(['ok']);
  });
});
