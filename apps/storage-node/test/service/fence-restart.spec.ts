// The fence survives the process: a storage node process raised to ring version 7 and killed
// with SIGKILL still refuses version 6 after a restart on the same data dir, and still knows the
// migration driver epoch it recorded. A damaged fence file stops the start, naming the file.
import fs from 'node:fs';
import path from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { dot, TestStorageClient } from '../support/storage-client';
import { spawnNodeProcess, type NodeProcess } from '../support/node-process';
import { removeDir, tempDir } from '../support/test-node';

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

async function stop(node: NodeProcess): Promise<void> {
  node.child.kill('SIGTERM');
  await node.exited;
}

describe('storage node process fence across SIGKILL', () => {
  const dir = tempDir('pairdb-fence-restart-');
  afterAll(() => removeDir(dir));

  it('keeps the minimum ring version and the driver epoch across a SIGKILL and restart', async () => {
    const first = await spawnNodeProcess(dir);
    const before = new TestStorageClient(`127.0.0.1:${first.grpcPort}`);
    const raised = await before.raiseRingVersion({
      ringVersion: 7n,
      fence: { migrationId: 'mig-1', epoch: 3n },
    });
    expect(raised.minRingVersion).toBe(7n);
    before.close();
    // Killed right after the answer: only what was durable before answering survives.
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    const second = await spawnNodeProcess(dir);
    const after = new TestStorageClient(`127.0.0.1:${second.grpcPort}`);
    try {
      expect((await after.healthCheck()).minRingVersion).toBe(7n);
      const write = { tenantId: 't', key: 'k', value: Buffer.from('v'), dot: dot('c', 1) };
      const stale = await grpcError(after.write({ ...write, ringVersion: 6n }));
      expect(stale.code).toBe(status.ABORTED);
      expect(stale.details).toMatch(/ring version 6 .* minimum accepted ring version 7/);
      await after.write({ ...write, ringVersion: 7n });
      const oldDriver = await grpcError(
        after.scanRange({
          range: { start: 0n, end: 0n },
          ringVersion: 7n,
          fence: { migrationId: 'mig-1', epoch: 2n },
        }),
      );
      expect(oldDriver.code).toBe(status.FAILED_PRECONDITION);
    } finally {
      after.close();
      await stop(second);
    }
  });

  it('refuses to start on a damaged fence file, naming the file', async () => {
    const file = path.join(dir, 'FENCE');
    const bytes = fs.readFileSync(file);
    // The low byte of the minimum ring version (after magic, version and body length): 7 -> 6
    // would make a valid-looking but lower fence; the CRC catches it.
    bytes[16] ^= 0x01;
    fs.writeFileSync(file, bytes);
    await expect(spawnNodeProcess(dir)).rejects.toThrow(
      `failed to start: fence file ${file} is damaged: CRC mismatch`,
    );
  });
});
