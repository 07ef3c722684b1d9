// The digest index and range digests against a from-scratch computation (every key of the engine
// hashed here, by the entry-hash rule of docs/architecture.md#incremental-digests, not by the code
// under test): after seeded random writes, overwrites and drops; across a rebuild with writes
// landing before its snapshot, during its scan and while it drains; after a change whose previous
// value could not be read or whose engine write failed; and for ranges whose edges cut segments,
// one wrapping past the ring end.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import {
  DIGEST_SEGMENT_WIDTH,
  DIGEST_SEGMENTS,
  TOKEN_MAX,
  digestBucketsOf,
  rangeContains,
  segmentOfToken,
  type TokenRange,
} from '@pairdb/hashring';
import { SeededRandom, testSeed } from '@pairdb/test-seed';
import { VersionVector } from '@pairdb/vectorclock';
import { Engine, WriteQueueFullError } from '../../src/engine';
import { DigestIndex } from '../../src/digests/digest-index';
import { RangeDigests } from '../../src/ranges/range-digest';
import { PREVIOUS_UNREADABLE } from '../../src/versions/data-key-changes';
import { DATA_KEYSPACE_END, dataKeyFloor, encodeDataKey } from '../../src/versions/engine-keys';
import { VersionStore } from '../../src/versions/version-store';
import { smallTree, temporaryDir } from '../engine/engine-fixture';

const TENANTS = ['alpha', 'beta', 'gamma'];
const KEYS_PER_TENANT = 300;

interface Reference {
  /** tenant -> segment -> { xor hex, count } */
  readonly segments: Map<string, Map<number, { xor: Buffer; count: number }>>;
  /** segment -> its keys */
  readonly entries: Map<number, Array<{ tenantId: string; token: bigint; hash: Buffer }>>;
}

/** Every data key of the engine, hashed as SHA-256(key length, key, value)[0..16). */
function reference(engine: Engine): Reference {
  const segments: Reference['segments'] = new Map();
  const entries: Reference['entries'] = new Map();
  for (const [key, value] of engine.iterate({ gte: dataKeyFloor(0n), lt: DATA_KEYSPACE_END })) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(key.length);
    const hash = createHash('sha256').update(length).update(key).update(value).digest();
    const token = key.readBigUInt64BE(1);
    const tenantId = key.toString('utf8', 10, 10 + key[9]!);
    const segment = segmentOfToken(token);
    entries.set(segment, [
      ...(entries.get(segment) ?? []),
      { tenantId, token, hash: hash.subarray(0, 16) },
    ]);
    let tenant = segments.get(tenantId);
    if (!tenant) segments.set(tenantId, (tenant = new Map()));
    const acc = tenant.get(segment) ?? { xor: Buffer.alloc(16), count: 0 };
    for (let i = 0; i < 16; i++) acc.xor[i]! ^= hash[i]!;
    acc.count++;
    tenant.set(segment, acc);
  }
  return { segments, entries };
}

/** The wire digest of the keys of `tenantId` ('' for all) in a piece of `segment`. */
function expectedPiece(
  ref: Reference,
  tenantId: string,
  segment: number,
  range: TokenRange,
): Buffer {
  const xor = Buffer.alloc(16);
  let count = 0;
  for (const entry of ref.entries.get(segment) ?? []) {
    if (tenantId && entry.tenantId !== tenantId) continue;
    if (!rangeContains(range, entry.token)) continue;
    for (let i = 0; i < 16; i++) xor[i]! ^= entry.hash[i]!;
    count++;
  }
  if (count === 0) return Buffer.alloc(0);
  const out = Buffer.alloc(20);
  xor.copy(out);
  out.writeUInt32BE(count, 16);
  return out;
}

function expectIndexMatches(index: DigestIndex, ref: Reference): void {
  expect(index.ready).toBe(true);
  const mismatches: string[] = [];
  for (const tenantId of TENANTS) {
    const expected = ref.segments.get(tenantId) ?? new Map();
    for (let segment = 0; segment < DIGEST_SEGMENTS; segment++) {
      const actual = index.segment(tenantId, segment);
      const want = expected.get(segment) ?? { xor: Buffer.alloc(16), count: 0 };
      if (actual.keyCount !== want.count || !actual.xor.equals(want.xor)) {
        mismatches.push(`${tenantId}/${segment}: ${actual.keyCount} keys, want ${want.count}`);
      }
    }
  }
  expect(mismatches).toEqual([]);
}

describe('DigestIndex', () => {
  let dir: string;
  let engine: Engine;
  let index: DigestIndex;
  let store: VersionStore;
  let counter = 0n;
  let rebuilt: number[] = [];

  beforeEach(async () => {
    rebuilt = [];
    dir = temporaryDir('digests');
    engine = await Engine.open(smallTree(dir, { memtableBytesMax: 64 * 1024 }));
    index = new DigestIndex(
      engine,
      { onRebuilt: (keys) => rebuilt.push(keys) },
      { keysPerTurn: 16 },
    );
    store = new VersionStore('node-t', engine, {}, {}, index);
  });

  afterEach(async () => {
    await index.close();
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (tenantId: string, key: string, value: string) =>
    store.write({
      tenantId,
      key,
      context: VersionVector.EMPTY,
      dot: { actor: 'c', counter: ++counter },
      content: { value: Buffer.from(value) },
      policy: 'siblings',
    });
  const drop = (tenantId: string, key: string) => store.drop(encodeDataKey(tenantId, key));

  /** One random change: a write (new key or overwrite), a tombstone, or a drop. */
  async function randomChange(random: SeededRandom): Promise<void> {
    const tenantId = TENANTS[random.below(TENANTS.length)]!;
    const key = `k${random.below(KEYS_PER_TENANT)}`;
    const roll = random.below(10);
    if (roll < 7) await write(tenantId, key, `v${random.below(1000)}`);
    else if (roll < 8) {
      await store.write({
        tenantId,
        key,
        context: VersionVector.EMPTY,
        dot: { actor: 'c', counter: ++counter },
        content: { tombstone: true },
        policy: 'lww',
      });
    } else await drop(tenantId, key);
  }

  it('equals a from-scratch computation after random writes, overwrites and drops', async () => {
    const random = new SeededRandom(testSeed('digest index random changes'));
    index.rebuild();
    await index.settled();
    for (let i = 0; i < 2_000; i++) await randomChange(random);
    expectIndexMatches(index, reference(engine));
  });

  it('counts every write during a rebuild once: before its snapshot, while draining, during its scan', async () => {
    const random = new SeededRandom(testSeed('digest index rebuild race'));
    for (let i = 0; i < 600; i++) await randomChange(random);
    // In flight when the rebuild closes its gate: it must wait for these.
    const inFlight = Array.from({ length: 20 }, () => randomChange(random));
    index.rebuild();
    // Held at the gate, then committed after the snapshot.
    const held = Array.from({ length: 20 }, () => randomChange(random));
    let duringScan = 0;
    while (!index.ready) {
      await randomChange(random);
      duringScan++;
    }
    await Promise.all([...inFlight, ...held]);
    // The scan read 16 keys per turn: writes went on between its turns.
    expect(duringScan).toBeGreaterThan(10);
    expect(rebuilt).toHaveLength(1);
    for (let i = 0; i < 200; i++) await randomChange(random);
    expectIndexMatches(index, reference(engine));
  });

  it('rebuilds itself after a change whose previous value could not be read', async () => {
    for (let i = 0; i < 50; i++) await write('alpha', `k${i}`, 'one');
    index.rebuild();
    await index.settled();
    const key = encodeDataKey('alpha', 'k1');
    const value = Buffer.from('not a version set, but bytes all the same');
    await index.commit(key, PREVIOUS_UNREADABLE, value, () =>
      engine.writeApplied([{ type: 'put', key, value }]),
    );
    expect(index.ready).toBe(false);
    await index.settled();
    expectIndexMatches(index, reference(engine));
  });
  it('rebuilds itself after an engine write that failed once it may have applied', async () => {
    for (let i = 0; i < 50; i++) await write('alpha', `k${i}`, 'one');
    index.rebuild();
    await index.settled();
    const key = encodeDataKey('alpha', 'k2');
    const value = Buffer.from('applied, then reported failed');
    const previous = Buffer.from(engine.get(key)!);
    const failing = async () => {
      await engine.put(key, value);
      throw new Error('fsync failed');
    };
    await expect(index.commit(key, previous, value, failing)).rejects.toThrow('fsync failed');
    expect(index.ready).toBe(false);
    await index.settled();
    expectIndexMatches(index, reference(engine));
  });

  it('stays ready after a write the engine refused before applying it', async () => {
    for (let i = 0; i < 50; i++) await write('alpha', `k${i}`, 'one');
    index.rebuild();
    await index.settled();
    const key = encodeDataKey('alpha', 'k3');
    const refused = () => Promise.reject(new WriteQueueFullError('write queue full'));
    await expect(
      index.commit(key, Buffer.from(engine.get(key)!), Buffer.from('never'), refused),
    ).rejects.toThrow('write queue full');
    expect(index.ready).toBe(true);
    expectIndexMatches(index, reference(engine));
  });
});

describe('RangeDigests', () => {
  let dir: string;
  let engine: Engine;
  let index: DigestIndex;
  let store: VersionStore;
  let digests: RangeDigests;
  let scanned = 0;
  let counter = 0n;

  beforeEach(async () => {
    dir = temporaryDir('range-digests');
    engine = await Engine.open(smallTree(dir, { memtableBytesMax: 64 * 1024 }));
    index = new DigestIndex(engine);
    store = new VersionStore('node-t', engine, {}, {}, index);
    digests = new RangeDigests(engine, index, { onKeysScanned: (keys) => (scanned += keys) });
    for (let i = 0; i < 3_000; i++) await write('alpha', `k${i}`, `v${i}`);
    for (let i = 0; i < 200; i++) await write('beta', `k${i}`, `v${i}`);
    scanned = 0;
  });

  afterEach(async () => {
    await index.close();
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (tenantId: string, key: string, value: string) =>
    store.write({
      tenantId,
      key,
      context: VersionVector.EMPTY,
      dot: { actor: 'c', counter: ++counter },
      content: { value: Buffer.from(value) },
      policy: 'siblings',
    });

  function expectDigestMatches(range: TokenRange, tenantId: string) {
    const ref = reference(engine);
    const answer = digests.digest({ ...range, tenantId });
    const expected = digestBucketsOf(range).map((b) =>
      expectedPiece(ref, tenantId, b.segment, b.range),
    );
    expect(answer.buckets).toEqual(expected);
    return answer;
  }

  const k0Segment = BigInt(segmentOfToken(encodeDataKey('alpha', 'k0').readBigUInt64BE(1)));
  /** Ranges with both edges inside segments: plain, inside one segment, wrapping the ring end. */
  const RANGES: Array<[string, TokenRange]> = [
    ['plain', { start: 100n * DIGEST_SEGMENT_WIDTH + 7n, end: 900n * DIGEST_SEGMENT_WIDTH - 9n }],
    [
      'one-segment',
      {
        start: k0Segment * DIGEST_SEGMENT_WIDTH,
        end: (k0Segment + 1n) * DIGEST_SEGMENT_WIDTH - 2n,
      },
    ],
    [
      'wrapping',
      {
        start: TOKEN_MAX - 700n * DIGEST_SEGMENT_WIDTH - 3n,
        end: 400n * DIGEST_SEGMENT_WIDTH + 11n,
      },
    ],
    [
      'whole ring cut mid-segment',
      { start: 77n * DIGEST_SEGMENT_WIDTH + 5n, end: 77n * DIGEST_SEGMENT_WIDTH + 5n },
    ],
  ];

  it.each(RANGES)('answers a %s range by scanning while the index is not ready', (_, range) => {
    expect(index.ready).toBe(false);
    const answer = expectDigestMatches(range, 'alpha');
    expect(scanned).toBe(answer.keyCount);
  });

  it.each(RANGES)(
    'answers a %s range from the index, scanning only its edges once',
    async (_, range) => {
      index.rebuild();
      await index.settled();
      const first = expectDigestMatches(range, 'alpha');
      const edgeKeys = digestBucketsOf(range)
        .map((bucket, i) =>
          bucket.whole ? 0 : first.buckets[i]!.length && first.buckets[i]!.readUInt32BE(16),
        )
        .reduce((sum, keys) => sum + keys, 0);
      expect(scanned).toBe(edgeKeys);
      expectDigestMatches(range, 'alpha');
      expect(scanned).toBe(edgeKeys);
      expectDigestMatches(range, 'beta');
      expectDigestMatches(range, '');
    },
  );

  it('rescans an edge once a write lands in its segment, and answers with the write', async () => {
    index.rebuild();
    await index.settled();
    const range = RANGES[0]![1];
    const edge = digestBucketsOf(range)[0]!;
    // A key of the tenant in the first edge piece.
    let key = '';
    for (let i = 0; !key; i++) {
      const candidate = `edge${i}`;
      const token = encodeDataKey('alpha', candidate).readBigUInt64BE(1);
      if (rangeContains(edge.range, token)) key = candidate;
    }
    expectDigestMatches(range, 'alpha');
    const before = scanned;
    await write('alpha', key, 'new');
    const after = expectDigestMatches(range, 'alpha');
    expect(scanned).toBeGreaterThan(before);
    expect(after.buckets[0]!.readUInt32BE(16)).toBeGreaterThanOrEqual(1);
  });
});
