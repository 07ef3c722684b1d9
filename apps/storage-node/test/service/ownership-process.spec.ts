// A real storage node process given a ring layout refuses a write for a key the layout assigns
// to another node (FAILED_PRECONDITION, "not an owner", naming node, tenant, key and version),
// keeps accepting what it cannot judge or must take, and still refuses after SIGKILL and restart.
// A damaged layout file stops the start, naming the file.
import fs from 'node:fs';
import path from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { HashRing, keyToken, type RingLayout } from '@pairdb/hashring';
import { freePort } from '@pairdb/test-ports';
import { isNotAnOwnerRefusal, ringLayoutToWire } from '@pairdb/wire-contract';
import { spawnNodeProcess, type NodeProcess } from '../support/node-process';
import { dot, TestStorageClient } from '../support/storage-client';
import { removeDir, tempDir } from '../support/test-node';

const SELF = 'node-a';
const VNODES = 16;

const layout: RingLayout = {
  ringVersion: 5n,
  members: [
    { nodeId: SELF, host: '127.0.0.1', port: 1, virtualNodes: VNODES, state: 'active' },
    { nodeId: 'node-b', host: '127.0.0.1', port: 2, virtualNodes: VNODES, state: 'active' },
  ],
  change: null,
  replicationFactors: new Map([['t', 1]]),
};

/** The first key whose single replica is `nodeId`, by a ring built here. */
function keyOwnedBy(nodeId: string): string {
  const ring = new HashRing(
    layout.members.map((m) => ({ nodeId: m.nodeId, virtualNodes: VNODES })),
  );
  for (let index = 0; ; index++) {
    if (ring.preferenceList(keyToken('t', `k${index}`), 1)[0] === nodeId) return `k${index}`;
  }
}

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

async function start(dir: string): Promise<NodeProcess> {
  const port = await freePort();
  return spawnNodeProcess(dir, { PAIRDB_NODE_ID: SELF, PAIRDB_SERVER_PORT: String(port) });
}

describe('storage node process ownership check', () => {
  const dir = tempDir('pairdb-ownership-');
  afterAll(() => removeDir(dir));
  const mine = keyOwnedBy(SELF);
  const theirs = keyOwnedBy('node-b');
  const write = (key: string, ringVersion = 5n) => ({
    tenantId: 't',
    key,
    value: Buffer.from('v'),
    dot: dot('c', 1),
    ringVersion,
  });

  it('refuses a write for a key the layout assigns elsewhere, and accepts what it must', async () => {
    const node = await start(dir);
    const client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    try {
      const before = await client.write(write(theirs));
      expect(before).toBeDefined();
      // A layout whose ring cannot be built (virtual nodes past the ring's bound) is refused.
      const unbuildable = ringLayoutToWire({
        ...layout,
        members: layout.members.map((m) => ({ ...m, virtualNodes: 5_000 })),
      });
      const badLayout = await grpcError(
        client.raiseRingVersion({ ringVersion: 4n, layout: unbuildable }),
      );
      expect(badLayout.code).toBe(status.INVALID_ARGUMENT);
      expect(badLayout.details).toContain('virtualNodes must be an integer in');
      await client.raiseRingVersion({ ringVersion: 5n, layout: ringLayoutToWire(layout) });
      const refused = await grpcError(client.write(write(theirs)));
      expect(refused.code).toBe(status.FAILED_PRECONDITION);
      expect(isNotAnOwnerRefusal(refused.code, refused.details)).toBe(true);
      for (const part of [SELF, 'tenant "t"', `key "${theirs}"`, 'ring version 5']) {
        expect(refused.details).toContain(part);
      }
      const deleteRefused = await grpcError(
        client.delete({ tenantId: 't', key: theirs, dot: dot('c', 2), ringVersion: 5n }),
      );
      expect(deleteRefused.code).toBe(status.FAILED_PRECONDITION);
      await client.write(write(mine));
      // A version newer than its layout, a tenant it does not list: it cannot judge.
      await client.write(write(theirs, 6n));
      await client.write({ ...write(theirs), tenantId: 'other' });
      // Kept for another node (a hint), or copied by a migration driver: not its to judge.
      await client.write({
        ...write(theirs),
        hintFor: { nodeId: 'node-b', address: '127.0.0.1:2' },
      });
      await client.repair({
        tenantId: 't',
        key: theirs,
        versions: { context: [], siblings: [] },
        ringVersion: 5n,
        fence: { migrationId: 'm1', epoch: 1n },
      });
    } finally {
      client.close();
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });

  it('a bad layout in a raise is an invalid argument naming the field', async () => {
    const node = await start(dir);
    const client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    try {
      const wire = ringLayoutToWire({ ...layout, ringVersion: 6n });
      wire.members[1]!.nodeId = SELF;
      const refused = await grpcError(client.raiseRingVersion({ ringVersion: 6n, layout: wire }));
      expect(refused.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.details).toMatch(/^layout\.members\[1\]\.node_id is listed twice/);
      expect((await client.healthCheck()).minRingVersion).toBe(5n);
    } finally {
      client.close();
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });

  it('still refuses after SIGKILL and restart: the layout was durable before the answer', async () => {
    const node = await start(dir);
    const client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    try {
      await client.raiseRingVersion({
        ringVersion: 5n,
        layout: ringLayoutToWire(layout),
      });
    } finally {
      client.close();
    }
    node.child.kill('SIGKILL');
    expect(await node.exited).toBe('SIGKILL');
    const again = await start(dir);
    const after = new TestStorageClient(`127.0.0.1:${again.grpcPort}`);
    try {
      const refused = await grpcError(after.write(write(theirs)));
      expect(isNotAnOwnerRefusal(refused.code, refused.details)).toBe(true);
    } finally {
      after.close();
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });

  it('refuses to start on a damaged layout file, naming the file', async () => {
    const file = path.join(dir, 'LAYOUT');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 6]! ^= 0x01;
    fs.writeFileSync(file, bytes);
    await expect(start(dir)).rejects.toThrow(`layout file ${file} is damaged: CRC mismatch`);
  });
});
