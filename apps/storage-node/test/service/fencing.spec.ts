// The fence over real gRPC: once raised to 5, every kind of data request computed under ring
// version 4 is refused with ABORTED before it touches the engine, and the same request under 5
// goes through; a stale migration driver epoch is FAILED_PRECONDITION; DropRange removes exactly
// one tenant's keys of a range, page by page.
import { status, type ServiceError } from '@grpc/grpc-js';
import { keyToken } from '@pairdb/hashring';
import type { storageV1 } from '@pairdb/proto';
import type { StorageNode } from '../../src/node';
import { dot, LWW, TestStorageClient, values } from '../support/storage-client';
import { removeDir, startTestNode, tempDir } from '../support/test-node';

const WHOLE_RING = { start: 0n, end: 0n };

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

function repairSet(actor: string, counter: number, value: string): storageV1.VersionSet {
  return {
    context: [{ actor, counter: BigInt(counter) }],
    siblings: [{ dot: dot(actor, counter), value: Buffer.from(value), tombstone: false }],
  };
}

describe('storage node fence over gRPC', () => {
  let dir: string;
  let node: StorageNode;
  let client: TestStorageClient;

  beforeAll(async () => {
    dir = tempDir('pairdb-fencing-');
    node = await startTestNode({ dataDir: dir });
    client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
  });

  afterAll(async () => {
    client.close();
    await node.stop();
    removeDir(dir);
  });

  async function fencedCount(reason: string): Promise<number> {
    const page = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
    const line = page
      .split('\n')
      .find((l) => l.startsWith(`storage_requests_fenced_total{reason="${reason}"}`));
    return line ? Number(line.split(' ')[1]) : 0;
  }

  /** Asserts `call` is refused as computed under a stale ring version (4 against 5). */
  async function expectStale(call: Promise<unknown>): Promise<void> {
    const error = await grpcError(call);
    expect(error.code).toBe(status.ABORTED);
    expect(error.details).toMatch(/ring version 4 is below .* minimum accepted ring version 5/);
  }

  it('accepts ring version 0 before any raise, and health reports minimum 0', async () => {
    expect((await client.healthCheck()).minRingVersion).toBe(0n);
    await client.write({ tenantId: 'f', key: 'before', value: Buffer.from('v'), dot: dot('c', 1) });
    expect((await client.read('f', 'before')).found).toBe(true);
  });

  it('a raise answers the new minimum; a lower one is a no-op answering the current', async () => {
    expect((await client.raiseRingVersion({ ringVersion: 5n })).minRingVersion).toBe(5n);
    expect((await client.raiseRingVersion({ ringVersion: 2n })).minRingVersion).toBe(5n);
    expect((await client.healthCheck()).minRingVersion).toBe(5n);
  });

  it('Write at 4 is ABORTED and never applied; at 5 it succeeds; 0 is refused too', async () => {
    const before = await fencedCount('stale_ring_version');
    const write = { tenantId: 'f', key: 'w', value: Buffer.from('v'), dot: dot('c', 10) };
    await expectStale(client.write({ ...write, ringVersion: 4n }));
    expect(await fencedCount('stale_ring_version')).toBe(before + 1);
    expect((await client.read('f', 'w', 5n)).found).toBe(false);
    const zero = await grpcError(client.write({ ...write, ringVersion: 0n }));
    expect(zero.code).toBe(status.ABORTED);
    await client.write({ ...write, ringVersion: 5n });
    expect(values((await client.read('f', 'w', 5n)).versions)).toEqual(['v']);
  });

  it('Read at 4 is ABORTED; at 5 it succeeds', async () => {
    await expectStale(client.read('f', 'w', 4n));
    expect((await client.read('f', 'w', 5n)).found).toBe(true);
  });

  it('Delete at 4 is ABORTED and leaves the value; at 5 it deletes', async () => {
    const del = { tenantId: 'f', key: 'w', dot: dot('c', 11), conflictPolicy: LWW };
    await expectStale(client.delete({ ...del, ringVersion: 4n }));
    expect(values((await client.read('f', 'w', 5n)).versions)).toEqual(['v']);
    await client.delete({ ...del, ringVersion: 5n });
    expect(values((await client.read('f', 'w', 5n)).versions)).toEqual([]);
  });

  it('Repair at 4 is ABORTED and not merged; at 5 it merges', async () => {
    const repair = { tenantId: 'f', key: 'r', versions: repairSet('c', 20, 'repaired') };
    await expectStale(client.repair({ ...repair, ringVersion: 4n }));
    expect((await client.read('f', 'r', 5n)).found).toBe(false);
    await client.repair({ ...repair, ringVersion: 5n });
    expect(values((await client.read('f', 'r', 5n)).versions)).toEqual(['repaired']);
  });

  it('an Exchange item at 4 is ABORTED while the item beside it at 5 is applied', async () => {
    const write = (key: string, ringVersion: bigint, counter: number) => ({
      $case: 'write' as const,
      value: {
        tenantId: 'f',
        key,
        value: Buffer.from(key),
        context: [],
        dot: dot('c', counter),
        conflictPolicy: LWW,
        hintFor: undefined,
        replyClockOnly: true,
        ringVersion,
      },
    });
    const results = await client.exchange([
      { id: 1, timeoutMs: 0, operation: write('x-stale', 4n, 30) },
      { id: 2, timeoutMs: 0, operation: write('x-current', 5n, 31) },
    ]);
    const stale = results.get(1)?.outcome;
    expect(stale?.$case).toBe('error');
    if (stale?.$case === 'error') {
      expect(stale.value.code).toBe(status.ABORTED);
      expect(stale.value.message).toMatch(/ring version 4 .* minimum accepted ring version 5/);
    }
    expect(results.get(2)?.outcome?.$case).toBe('write');
    expect((await client.read('f', 'x-stale', 5n)).found).toBe(false);
    expect(values((await client.read('f', 'x-current', 5n)).versions)).toEqual(['x-current']);
  });

  it('ScanRange and RangeDigest at 4 are ABORTED; at 5 they answer', async () => {
    await expectStale(client.scanRange({ range: WHOLE_RING, tenantId: 'f', ringVersion: 4n }));
    const scanned = await client.scanRange({ range: WHOLE_RING, tenantId: 'f', ringVersion: 5n });
    expect(scanned.map((e) => e.key).sort()).toEqual(['before', 'r', 'w', 'x-current']);
    await expectStale(client.rangeDigest({ range: WHOLE_RING, tenantId: 'f', ringVersion: 4n }));
    const digest = await client.rangeDigest({
      range: WHOLE_RING,
      tenantId: 'f',
      ringVersion: 5n,
    });
    expect(digest.keyCount).toBe(4n);
  });

  it('DropRange at 4 is ABORTED and drops nothing', async () => {
    await expectStale(client.dropRange({ tenantId: 'f', range: WHOLE_RING, ringVersion: 4n }));
    const scanned = await client.scanRange({ range: WHOLE_RING, tenantId: 'f', ringVersion: 5n });
    expect(scanned).toHaveLength(4);
  });

  describe('migration driver epochs', () => {
    const migrationId = 'mig-epochs';

    beforeAll(async () => {
      await client.raiseRingVersion({ ringVersion: 5n, fence: { migrationId, epoch: 3n } });
    });

    async function expectStaleEpoch(call: Promise<unknown>): Promise<void> {
      const error = await grpcError(call);
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(error.details).toMatch(
        /migration "mig-epochs": driver epoch 2 is below epoch 3 recorded on this node/,
      );
    }

    it('a raise from an older driver is refused and leaves the minimum', async () => {
      await expectStaleEpoch(
        client.raiseRingVersion({ ringVersion: 9n, fence: { migrationId, epoch: 2n } }),
      );
      expect((await client.healthCheck()).minRingVersion).toBe(5n);
    });

    it('Repair, ScanRange and DropRange from an older driver are refused', async () => {
      const before = await fencedCount('stale_migration_epoch');
      const stale = { migrationId, epoch: 2n };
      await expectStaleEpoch(
        client.repair({
          tenantId: 'f',
          key: 'copied',
          versions: repairSet('c', 40, 'copy'),
          ringVersion: 5n,
          fence: stale,
        }),
      );
      expect((await client.read('f', 'copied', 5n)).found).toBe(false);
      await expectStaleEpoch(
        client.scanRange({ range: WHOLE_RING, tenantId: 'f', ringVersion: 5n, fence: stale }),
      );
      await expectStaleEpoch(
        client.dropRange({ tenantId: 'f', range: WHOLE_RING, ringVersion: 5n, fence: stale }),
      );
      expect(
        await client.scanRange({ range: WHOLE_RING, tenantId: 'f', ringVersion: 5n }),
      ).toHaveLength(4);
      expect(await fencedCount('stale_migration_epoch')).toBe(before + 3);
    });

    it('the current driver and a newer one are served, and the newer one supersedes it', async () => {
      await client.repair({
        tenantId: 'f',
        key: 'copied',
        versions: repairSet('c', 41, 'copy'),
        ringVersion: 5n,
        fence: { migrationId, epoch: 3n },
      });
      const scanned = await client.scanRange({
        range: WHOLE_RING,
        tenantId: 'f',
        ringVersion: 5n,
        fence: { migrationId, epoch: 4n },
      });
      expect(scanned.map((e) => e.key)).toContain('copied');
      const error = await grpcError(
        client.scanRange({
          range: WHOLE_RING,
          tenantId: 'f',
          ringVersion: 5n,
          fence: { migrationId, epoch: 3n },
        }),
      );
      expect(error.code).toBe(status.FAILED_PRECONDITION);
    });

    it('a fence without a migration id is INVALID_ARGUMENT naming the field', async () => {
      const error = await grpcError(
        client.repair({
          tenantId: 'f',
          key: 'k',
          versions: repairSet('c', 42, 'v'),
          ringVersion: 5n,
          fence: { migrationId: '', epoch: 1n },
        }),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(/fence\.migration_id is required/);
    });
  });
});

describe('DropRange over gRPC', () => {
  let dir: string;
  let node: StorageNode;
  let client: TestStorageClient;
  const KEYS = Array.from({ length: 60 }, (_, i) => `key-${i}`);

  beforeAll(async () => {
    dir = tempDir('pairdb-drop-range-');
    node = await startTestNode({ dataDir: dir });
    client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    let counter = 1;
    for (const tenantId of ['dropped', 'kept', 'wrapped']) {
      for (const key of KEYS) {
        await client.write({ tenantId, key, value: Buffer.from(key), dot: dot('c', counter++) });
      }
    }
  });

  afterAll(async () => {
    client.close();
    await node.stop();
    removeDir(dir);
  });

  async function keysOf(tenantId: string): Promise<string[]> {
    const entries = await client.scanRange({ range: WHOLE_RING, tenantId });
    return entries.map((e) => e.key).sort();
  }

  /** Drops the range page by page; returns each page's count. */
  async function dropAll(request: Partial<storageV1.DropRangeRequest>): Promise<number[]> {
    const pages: number[] = [];
    let afterKey = Buffer.alloc(0);
    for (;;) {
      const page = await client.dropRange({ ...request, afterKey });
      pages.push(Number(page.keysDropped));
      if (page.done) return pages;
      expect(page.lastKey.length).toBeGreaterThan(0);
      afterKey = Buffer.from(page.lastKey);
    }
  }

  it('removes exactly that tenant keys in the range, page by page, and nothing else', async () => {
    const range = { start: 2n ** 62n, end: 3n * 2n ** 62n };
    const inRange = (key: string, tenantId: string) => {
      const token = keyToken(tenantId, key);
      return token > range.start && token <= range.end;
    };
    const expectedDropped = KEYS.filter((k) => inRange(k, 'dropped'));
    expect(expectedDropped.length).toBeGreaterThan(7);
    const pages = await dropAll({ tenantId: 'dropped', range, limit: 7 });
    expect(pages.reduce((a, b) => a + b, 0)).toBe(expectedDropped.length);
    expect(pages.slice(0, -1).every((count) => count === 7)).toBe(true);
    expect(await keysOf('dropped')).toEqual(KEYS.filter((k) => !inRange(k, 'dropped')).sort());
    expect(await keysOf('kept')).toEqual([...KEYS].sort());
    for (const key of expectedDropped)
      expect((await client.read('dropped', key)).found).toBe(false);
    // Dropping again finds nothing left.
    expect(await dropAll({ tenantId: 'dropped', range })).toEqual([0]);
  });

  it('drops a range that wraps around zero', async () => {
    const range = { start: 3n * 2n ** 62n, end: 2n ** 62n };
    const inRange = (key: string) => {
      const token = keyToken('wrapped', key);
      return token > range.start || token <= range.end;
    };
    const pages = await dropAll({ tenantId: 'wrapped', range, limit: 5 });
    expect(pages.reduce((a, b) => a + b, 0)).toBe(KEYS.filter(inRange).length);
    expect(await keysOf('wrapped')).toEqual(KEYS.filter((k) => !inRange(k)).sort());
  });

  it('refuses a missing tenant or a limit above the maximum, naming the field', async () => {
    const noTenant = await grpcError(client.dropRange({ tenantId: '', range: WHOLE_RING }));
    expect(noTenant.code).toBe(status.INVALID_ARGUMENT);
    expect(noTenant.details).toMatch(/tenant_id is required/);
    const tooMany = await grpcError(
      client.dropRange({ tenantId: 'kept', range: WHOLE_RING, limit: 1_000_000 }),
    );
    expect(tooMany.code).toBe(status.INVALID_ARGUMENT);
    expect(tooMany.details).toMatch(/limit is above 4096/);
    expect(await keysOf('kept')).toEqual([...KEYS].sort());
  });
});

describe('hint delivery under the fence', () => {
  async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`condition not met within ${timeoutMs} ms`);
  }

  it('a hint carries the stand-in node minimum: refused by an owner raised past it, delivered once the stand-in is raised too', async () => {
    const dirs = [tempDir('pairdb-hint-owner-'), tempDir('pairdb-hint-standin-')];
    const owner = await startTestNode({ nodeId: 'owner', dataDir: dirs[0] });
    const standIn = await startTestNode({ nodeId: 'stand-in', dataDir: dirs[1] });
    const ownerClient = new TestStorageClient(`127.0.0.1:${owner.grpcPort}`);
    const standInClient = new TestStorageClient(`127.0.0.1:${standIn.grpcPort}`);
    const refusedByOwner = async () => {
      const page = await (await fetch(`http://127.0.0.1:${owner.httpPort}/metrics`)).text();
      const line = page
        .split('\n')
        .find((l) => l.startsWith('storage_requests_fenced_total{reason="stale_ring_version"}'));
      return line ? Number(line.split(' ')[1]) : 0;
    };
    try {
      await ownerClient.raiseRingVersion({ ringVersion: 5n });
      await standInClient.write({
        tenantId: 'h',
        key: 'hinted',
        value: Buffer.from('for-owner'),
        dot: dot('c', 1),
        hintFor: { nodeId: 'owner', address: `127.0.0.1:${owner.grpcPort}` },
      });
      await eventually(async () => (await refusedByOwner()) > 0);
      expect((await standInClient.healthCheck()).hintsPending).toBe(1n);
      expect((await ownerClient.read('h', 'hinted', 5n)).found).toBe(false);

      await standInClient.raiseRingVersion({ ringVersion: 5n });
      await eventually(async () => (await ownerClient.read('h', 'hinted', 5n)).found);
      expect(values((await ownerClient.read('h', 'hinted', 5n)).versions)).toEqual(['for-owner']);
      await eventually(async () => (await standInClient.healthCheck()).hintsPending === 0n);
    } finally {
      ownerClient.close();
      standInClient.close();
      await owner.stop();
      await standIn.stop();
      for (const dir of dirs) removeDir(dir);
    }
  });
});
