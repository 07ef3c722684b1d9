import { status, type ServiceError } from '@grpc/grpc-js';
import { checkHealth, listServices, STORAGE_SERVICE_NAME, storageV1 } from '@pairdb/proto';
import { freePort } from '@pairdb/test-ports';
import { SCAN_PAGE_BYTES_MAX } from '../../src/grpc/storage-handlers';
import type { StorageNode } from '../../src/node';
import {
  dot,
  LWW,
  readContextOf,
  SIBLINGS,
  TestStorageClient,
  values,
} from '../support/storage-client';
import { removeDir, startTestNode, tempDir } from '../support/test-node';

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A connection still coming up counts as "not yet".
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('storage node service over gRPC', () => {
  let dir: string;
  let node: StorageNode;
  let client: TestStorageClient;

  beforeAll(async () => {
    dir = tempDir();
    node = await startTestNode({ dataDir: dir });
    client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
  });

  afterAll(async () => {
    client.close();
    await node.stop();
    removeDir(dir);
  });

  it('reads back a write with its dot and context', async () => {
    await client.write({
      tenantId: 't1',
      key: 'k',
      value: Buffer.from('v1'),
      dot: dot('c1', 10),
      conflictPolicy: LWW,
    });
    const read = await client.read('t1', 'k');
    expect(read.found).toBe(true);
    expect(values(read.versions)).toEqual(['v1']);
    expect(read.versions?.siblings[0]?.dot).toEqual(dot('c1', 10));
    // A write's own dot is known by its sibling, not folded into the stored context.
    expect(read.versions?.context).toEqual([]);
  });

  it('answers found=false for a key never written', async () => {
    expect((await client.read('t1', 'never')).found).toBe(false);
  });

  it('keeps tenants apart: the same key in two tenants holds two values', async () => {
    await client.write({
      tenantId: 'ta',
      key: 'shared',
      value: Buffer.from('a'),
      dot: dot('c1', 1),
    });
    await client.write({
      tenantId: 'tb',
      key: 'shared',
      value: Buffer.from('b'),
      dot: dot('c1', 2),
    });
    expect(values((await client.read('ta', 'shared')).versions)).toEqual(['a']);
    expect(values((await client.read('tb', 'shared')).versions)).toEqual(['b']);
  });

  it('keeps two siblings for concurrent writes under the siblings policy and resolves them', async () => {
    await client.write({
      tenantId: 't1',
      key: 's',
      value: Buffer.from('x'),
      dot: dot('c1', 100),
      conflictPolicy: SIBLINGS,
    });
    await client.write({
      tenantId: 't1',
      key: 's',
      value: Buffer.from('y'),
      dot: dot('c2', 101),
      conflictPolicy: SIBLINGS,
    });
    const read = await client.read('t1', 's');
    expect(values(read.versions).sort()).toEqual(['x', 'y']);
    await client.write({
      tenantId: 't1',
      key: 's',
      value: Buffer.from('z'),
      context: readContextOf(read.versions),
      dot: dot('c1', 102),
      conflictPolicy: SIBLINGS,
    });
    expect(values((await client.read('t1', 's')).versions)).toEqual(['z']);
  });

  it('collapses concurrent writes to the greatest dot under lww', async () => {
    await client.write({
      tenantId: 't1',
      key: 'l',
      value: Buffer.from('older'),
      dot: dot('c2', 200),
      conflictPolicy: LWW,
    });
    await client.write({
      tenantId: 't1',
      key: 'l',
      value: Buffer.from('newer'),
      dot: dot('c1', 201),
      conflictPolicy: LWW,
    });
    await client.write({
      tenantId: 't1',
      key: 'l',
      value: Buffer.from('late-but-old'),
      dot: dot('c3', 150),
      conflictPolicy: LWW,
    });
    expect(values((await client.read('t1', 'l')).versions)).toEqual(['newer']);
  });

  it('applies the same write twice as once', async () => {
    const write = {
      tenantId: 't1',
      key: 'idem',
      value: Buffer.from('once'),
      dot: dot('c1', 300),
      conflictPolicy: SIBLINGS,
    };
    const first = await client.write(write);
    await client.write({
      ...write,
      value: Buffer.from('other'),
      dot: dot('c2', 301),
      context: readContextOf(first.versions),
    });
    const again = await client.write(write);
    expect(values(again.versions)).toEqual(['other']);
    expect(values((await client.read('t1', 'idem')).versions)).toEqual(['other']);
  });

  it('deletes by writing a tombstone that a read reports', async () => {
    const written = await client.write({
      tenantId: 't1',
      key: 'd',
      value: Buffer.from('gone'),
      dot: dot('c1', 400),
    });
    await client.delete({
      tenantId: 't1',
      key: 'd',
      context: written.versions!.context,
      dot: dot('c1', 401),
    });
    const read = await client.read('t1', 'd');
    expect(read.found).toBe(true);
    expect(values(read.versions)).toEqual([]);
    expect(read.versions?.siblings).toEqual([
      expect.objectContaining({ tombstone: true, dot: dot('c1', 401) }),
    ]);
  });

  it('merges a repair and is idempotent', async () => {
    await client.write({
      tenantId: 't1',
      key: 'r',
      value: Buffer.from('local'),
      dot: dot('c1', 500),
      conflictPolicy: SIBLINGS,
    });
    const incoming = {
      context: [{ actor: 'c2', counter: 501n }],
      siblings: [{ dot: dot('c2', 501), value: Buffer.from('remote'), tombstone: false }],
    };
    const first = await client.repair({
      tenantId: 't1',
      key: 'r',
      versions: incoming,
      conflictPolicy: SIBLINGS,
    });
    const second = await client.repair({
      tenantId: 't1',
      key: 'r',
      versions: incoming,
      conflictPolicy: SIBLINGS,
    });
    expect(values(first.versions).sort()).toEqual(['local', 'remote']);
    expect(second.versions).toEqual(first.versions);
  });

  it('rejects bad input with INVALID_ARGUMENT naming the field and value', async () => {
    const noTenant = await grpcError(
      client.write({ tenantId: '', key: 'k', value: Buffer.from('v'), dot: dot('c1', 1) }),
    );
    expect(noTenant.code).toBe(status.INVALID_ARGUMENT);
    expect(noTenant.details).toContain('tenant_id');
    // The coordinator's tenant id rule, applied again here: 128 ASCII characters at most.
    for (const tenantId of ['a/b', 't'.repeat(129)]) {
      const badTenant = await grpcError(
        client.write({ tenantId, key: 'k', value: Buffer.from('v'), dot: dot('c1', 1) }),
      );
      expect(badTenant.code).toBe(status.INVALID_ARGUMENT);
      expect(badTenant.details).toContain(`tenant_id must be 1-128 letters`);
    }
    const longKey = await grpcError(
      client.write({
        tenantId: 't1',
        key: 'k'.repeat(1025),
        value: Buffer.from('v'),
        dot: dot('c1', 1),
      }),
    );
    expect(longKey.code).toBe(status.INVALID_ARGUMENT);
    expect(longKey.details).toContain('1025 bytes');
    const noDot = await grpcError(
      client.write({ tenantId: 't1', key: 'k', value: Buffer.from('v') }),
    );
    expect(noDot.code).toBe(status.INVALID_ARGUMENT);
    expect(noDot.details).toContain('dot');
    const zeroCounter = await grpcError(
      client.write({ tenantId: 't1', key: 'k', value: Buffer.from('v'), dot: dot('c1', 0) }),
    );
    expect(zeroCounter.code).toBe(status.INVALID_ARGUMENT);
  });

  it('answers RESOURCE_EXHAUSTED for a value above the limit and stores nothing', async () => {
    const big = await grpcError(
      client.write({
        tenantId: 't1',
        key: 'big',
        value: Buffer.alloc(1024 * 1024 + 1),
        dot: dot('c1', 1),
      }),
    );
    expect(big.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(big.details).toContain('1048577');
    expect((await client.read('t1', 'big')).found).toBe(false);
  });

  it('serves a batched exchange and matches each reply to its item id', async () => {
    const results = await client.exchange([
      {
        id: 1,
        timeoutMs: 0,
        operation: {
          $case: 'write',
          value: {
            tenantId: 'tx',
            key: 'a',
            value: Buffer.from('1'),
            context: [],
            dot: dot('c1', 600),
            conflictPolicy: LWW,
            hintFor: undefined,
            replyClockOnly: false,
            ringVersion: 0n,
          },
        },
      },
      {
        id: 2,
        timeoutMs: 0,
        operation: {
          $case: 'write',
          value: {
            tenantId: 'tx',
            key: 'b',
            value: Buffer.from('2'),
            context: [],
            dot: dot('c1', 601),
            conflictPolicy: LWW,
            hintFor: undefined,
            replyClockOnly: true,
            ringVersion: 0n,
          },
        },
      },
      {
        id: 3,
        timeoutMs: 0,
        operation: { $case: 'read', value: { tenantId: 'tx', key: 'missing', ringVersion: 0n } },
      },
      {
        id: 4,
        timeoutMs: 0,
        operation: { $case: 'read', value: { tenantId: '', key: 'x', ringVersion: 0n } },
      },
    ]);
    const first = results.get(1)?.outcome;
    expect(first?.$case === 'write' && values(first.value.versions)).toEqual(['1']);
    expect(first?.$case === 'write' && first.value.clock).toEqual([]);
    expect(results.get(2)?.outcome).toEqual({
      $case: 'write',
      value: { versions: undefined, clock: [dot('c1', 601)] },
    });
    expect(results.get(3)?.outcome).toEqual({
      $case: 'read',
      value: { found: false, versions: undefined },
    });
    const failed = results.get(4)?.outcome;
    expect(failed?.$case).toBe('error');
    expect(failed?.$case === 'error' && failed.value.code).toBe(status.INVALID_ARGUMENT);
    expect(values((await client.read('tx', 'b')).versions)).toEqual(['2']);
  });

  it('answers reply_clock_only writes and deletes with the read context and no values', async () => {
    await client.write({ tenantId: 'tc', key: 'k', value: Buffer.from('a'), dot: dot('c1', 5) });
    await client.write({
      tenantId: 'tc',
      key: 'k',
      value: Buffer.from('b'),
      dot: dot('c2', 7),
      conflictPolicy: SIBLINGS,
    });
    const written = await client.write({
      tenantId: 'tc',
      key: 'k',
      value: Buffer.from('c'),
      context: [{ actor: 'c0', counter: 3n }],
      dot: dot('c3', 9),
      conflictPolicy: SIBLINGS,
      replyClockOnly: true,
    });
    const stored = (await client.read('tc', 'k')).versions;
    expect(values(stored)).toEqual(['a', 'b', 'c']);
    expect(written).toEqual({ versions: undefined, clock: readContextOf(stored) });
    expect(written.clock).toEqual([
      { actor: 'c0', counter: 3n },
      dot('c1', 5),
      dot('c2', 7),
      dot('c3', 9),
    ]);
    const deleted = await client.delete({
      tenantId: 'tc',
      key: 'k',
      context: written.clock,
      dot: dot('c1', 11),
      replyClockOnly: true,
    });
    expect(deleted).toEqual({
      versions: undefined,
      clock: readContextOf((await client.read('tc', 'k')).versions),
    });
  });

  it('streams a token range, filters by tenant and resumes after a key', async () => {
    for (let i = 0; i < 50; i++) {
      await client.write({
        tenantId: 'scan',
        key: `k${i}`,
        value: Buffer.from(`v${i}`),
        dot: dot('c1', 1000 + i),
      });
    }
    const whole = { start: 0n, end: 0n };
    const all = await client.scanRange({ range: whole, tenantId: 'scan', pageSize: 7 });
    expect(all.map((e) => e.key).sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `k${i}`).sort(),
    );
    const tokens = all.map((e) => e.token);
    expect([...tokens].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(tokens);
    const rest = await client.scanRange({
      range: whole,
      tenantId: 'scan',
      afterKey: all[19]!.engineKey,
    });
    expect(rest.map((e) => e.key)).toEqual(all.slice(20).map((e) => e.key));
    const half = { start: 0n, end: 2n ** 63n };
    const inHalf = await client.scanRange({ range: half, tenantId: 'scan' });
    expect(inHalf.map((e) => e.key)).toEqual(
      all.filter((e) => e.token <= 2n ** 63n).map((e) => e.key),
    );
  });

  it('ends a ScanRange page at SCAN_PAGE_BYTES_MAX bytes, whatever its page size', async () => {
    const valueBytes = 900 * 1024;
    const keys = 12;
    for (let i = 0; i < keys; i++) {
      await client.write({
        tenantId: 'big',
        key: `k${i}`,
        value: Buffer.alloc(valueBytes, i),
        dot: dot('c1', 2000 + i),
      });
    }
    const stream = client.raw.scanRange(
      storageV1.ScanRangeRequest.fromPartial({
        range: { start: 0n, end: 0n },
        tenantId: 'big',
        pageSize: 4096,
      }),
    );
    const pages: number[][] = [];
    for await (const page of stream as AsyncIterable<storageV1.ScanRangeResponse>) {
      pages.push(page.entries.map((e) => e.versions!.siblings[0]!.value.length));
    }
    expect(pages.flat()).toHaveLength(keys);
    // Each page stops at the entry that reaches the cap: at most the cap plus one value.
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) {
      const bytes = page.reduce((sum, size) => sum + size, 0);
      expect(bytes).toBeLessThan(SCAN_PAGE_BYTES_MAX + valueBytes + 4096);
    }
  });

  it('answers a bad ScanRange with INVALID_ARGUMENT on the stream instead of leaving it open', async () => {
    const error = await grpcError(
      client.scanRange({ range: { start: 0n, end: 0n }, tenantId: 'scan', pageSize: 1_000_000 }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/page_size is above 4096/);
  });

  it('gives equal range digests for equal data and a different bucket after a divergent write', async () => {
    const other = await startTestNode({ nodeId: 'node-b' });
    const otherClient = new TestStorageClient(`127.0.0.1:${other.grpcPort}`);
    try {
      for (let i = 0; i < 20; i++) {
        const write = {
          tenantId: 'ae',
          key: `k${i}`,
          value: Buffer.from(`v${i}`),
          dot: dot('c1', 2000 + i),
        };
        await client.write(write);
        await otherClient.write(write);
      }
      const request = { range: { start: 0n, end: 0n }, tenantId: 'ae' };
      const a = await client.rangeDigest(request);
      const b = await otherClient.rangeDigest(request);
      expect(a.keyCount).toBe(20n);
      expect(b.bucketDigests).toEqual(a.bucketDigests);
      await otherClient.write({
        tenantId: 'ae',
        key: 'k3',
        value: Buffer.from('changed'),
        dot: dot('c2', 3000),
      });
      const changed = await otherClient.rangeDigest(request);
      const differing = changed.bucketDigests.filter(
        (d, i) => !Buffer.from(d).equals(Buffer.from(a.bucketDigests[i]!)),
      );
      expect(differing).toHaveLength(1);
    } finally {
      otherClient.close();
      await other.stop();
    }
  });

  it('refuses a hint whose target node id does not fit the hint key, and stores nothing', async () => {
    const pendingBefore = (await client.healthCheck()).hintsPending;
    const tooLong = await grpcError(
      client.write({
        tenantId: 'h',
        key: 'long-target',
        value: Buffer.from('v'),
        dot: dot('c1', 3999),
        hintFor: { nodeId: 'n'.repeat(256), address: '127.0.0.1:1' },
      }),
    );
    expect(tooLong.code).toBe(status.INVALID_ARGUMENT);
    expect(tooLong.details).toContain('hint_for.node_id is longer than 255 bytes');
    expect((await client.healthCheck()).hintsPending).toBe(pendingBefore);
  });

  it('stores a hint for an absent owner and delivers it once the owner starts', async () => {
    const ownerPort = await freePort();
    const ownerAddress = `127.0.0.1:${ownerPort}`;
    await client.write({
      tenantId: 'h',
      key: 'hinted',
      value: Buffer.from('for-b'),
      dot: dot('c1', 4000),
      hintFor: { nodeId: 'node-owner', address: ownerAddress },
    });
    expect((await client.read('h', 'hinted')).found).toBe(false);
    expect((await client.healthCheck()).hintsPending).toBe(1n);
    const ownerDir = tempDir();
    const owner = await startTestNode({
      nodeId: 'node-owner',
      dataDir: ownerDir,
      grpcPort: ownerPort,
    });
    const ownerClient = new TestStorageClient(ownerAddress);
    try {
      await eventually(async () => (await ownerClient.read('h', 'hinted')).found);
      expect(values((await ownerClient.read('h', 'hinted')).versions)).toEqual(['for-b']);
      await eventually(async () => (await client.healthCheck()).hintsPending === 0n);
    } finally {
      ownerClient.close();
      await owner.stop();
      removeDir(ownerDir);
    }
  });

  it('lists StorageService through reflection and answers grpc.health.v1 SERVING', async () => {
    const address = `127.0.0.1:${node.grpcPort}`;
    expect(await listServices(address)).toEqual(
      expect.arrayContaining([STORAGE_SERVICE_NAME, 'grpc.health.v1.Health']),
    );
    expect(await checkHealth(address, STORAGE_SERVICE_NAME)).toBe('SERVING');
  });

  it('answers grpc health SERVING and exposes /healthz, /readyz and /metrics', async () => {
    const health = await client.healthCheck();
    expect(health.serving).toBe(true);
    expect(health.nodeId).toBe('node-a');
    const base = `http://127.0.0.1:${node.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'storage_requests_total',
      'storage_request_duration_seconds_bucket',
      'storage_memtable_bytes',
      'storage_sstable_files',
      'storage_compactions_total',
      'storage_commit_log_fsyncs_total',
      'storage_block_cache_hit_ratio',
      'storage_disk_free_bytes',
      'storage_hints_pending',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(/storage_requests_total\{operation="write",status="OK"\} \d+/);
  });
});

describe('storage node lifecycle', () => {
  it('keeps data across a restart on the same data dir', async () => {
    const dir = tempDir();
    try {
      const first = await startTestNode({ dataDir: dir });
      const client = new TestStorageClient(`127.0.0.1:${first.grpcPort}`);
      await client.write({
        tenantId: 't',
        key: 'durable',
        value: Buffer.from('kept'),
        dot: dot('c1', 1),
      });
      client.close();
      await first.stop();
      const second = await startTestNode({ dataDir: dir });
      const again = new TestStorageClient(`127.0.0.1:${second.grpcPort}`);
      expect(values((await again.read('t', 'durable')).versions)).toEqual(['kept']);
      again.close();
      await second.stop();
    } finally {
      removeDir(dir);
    }
  });

  it('refuses a second node on the same data dir', async () => {
    const dir = tempDir();
    const first = await startTestNode({ dataDir: dir });
    try {
      await expect(startTestNode({ dataDir: dir })).rejects.toThrow(/lock|in use|already/i);
    } finally {
      await first.stop();
      removeDir(dir);
    }
  });
});

describe('storage node under a write stall', () => {
  it('answers RESOURCE_EXHAUSTED for writes past a full write queue and applies the rest', async () => {
    const dir = tempDir();
    // Values bigger than a memtable: a few writes fill every memtable before a flush can end, so
    // the rest of one Exchange batch meets the stall and the write queue of two.
    const node = await startTestNode({
      dataDir: dir,
      overrides: (config) => {
        config.storage.memtable_bytes_max = 1024;
        config.storage.write_queue_length_max = 2;
      },
    });
    const client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    try {
      const keys = Array.from({ length: 12 }, (_, index) => `stalled-${index}`);
      const results = await client.exchange(
        keys.map((key, index) => ({
          id: index + 1,
          timeoutMs: 0,
          operation: {
            $case: 'write' as const,
            value: {
              tenantId: 'tq',
              key,
              value: Buffer.alloc(2048, index),
              context: [],
              dot: dot('c1', index + 1),
              conflictPolicy: LWW,
              hintFor: undefined,
              replyClockOnly: true,
              ringVersion: 0n,
            },
          },
        })),
      );
      const refused = keys.filter((_, index) => results.get(index + 1)?.outcome?.$case === 'error');
      expect(refused.length).toBeGreaterThan(0);
      for (const [index, key] of keys.entries()) {
        const outcome = results.get(index + 1)?.outcome;
        const read = await client.read('tq', key);
        if (outcome?.$case === 'error') {
          expect(outcome.value.code).toBe(status.RESOURCE_EXHAUSTED);
          expect(outcome.value.message).toContain('write queue full');
          expect(read.found).toBe(false);
        } else {
          expect(outcome?.$case).toBe('write');
          expect(read.versions?.siblings[0]?.value).toEqual(Buffer.alloc(2048, index));
        }
      }
    } finally {
      client.close();
      await node.stop();
      removeDir(dir);
    }
  });
});
