// Tombstone purge on one node (docs/architecture.md#tombstone-purge), over a real engine with a
// fake clock: a client delete stores its tombstones with a receipt; the sweep purges them only
// when they are past the grace by the receipt, a repair horizon after the receipt covers their
// range under an accepted ring version, and no migration holds them; compaction then drops them
// from the files.
import fs from 'node:fs';
import { keyToken, segmentOfToken, TOKEN_MAX, type TokenRange } from '@pairdb/hashring';
import { isDeleted, readContext, VersionVector, type Dot } from '@pairdb/vectorclock';
import pino from 'pino';
import { DigestIndex } from '../../src/digests/digest-index';
import { Engine } from '../../src/engine';
import { EntryKind } from '../../src/engine/entry';
import { RepairHorizons } from '../../src/tombstones/repair-horizons';
import { TombstonePurge } from '../../src/tombstones/tombstone-purge';
import { encodeDataKey, receiptKeyOf } from '../../src/versions/engine-keys';
import { UNTRACKED_CHANGES } from '../../src/versions/data-key-changes';
import { VersionStore } from '../../src/versions/version-store';
import { smallTree, tableEntries, temporaryDir } from '../engine/engine-fixture';

const TENANT = 'purge';
const GRACE_MS = 60_000;
const START_MS = 1_700_000_000_000;
const WHOLE_RING: TokenRange = { start: 0n, end: 0n };

let dir: string;
let nowMs: number;
let engine: Engine;
let digests: DigestIndex;
let versions: VersionStore;
let horizons: RepairHorizons;
let minRingVersion: bigint;
let held: boolean;
let purge: TombstonePurge;
let counter = 0;

beforeEach(async () => {
  dir = temporaryDir('purge');
  nowMs = START_MS;
  minRingVersion = 0n;
  held = false;
  engine = await Engine.open(smallTree(dir, { tombstoneGraceMs: GRACE_MS, now: () => nowMs }));
  digests = new DigestIndex(engine);
  digests.rebuild();
  await digests.settled();
  versions = new VersionStore('node-1', engine, {}, {}, digests, () => nowMs);
  horizons = new RepairHorizons();
  purge = new TombstonePurge({
    engine,
    versions,
    horizons,
    graceMs: GRACE_MS,
    minRingVersion: () => minRingVersion,
    held: () => held,
    intervalMs: 3_600_000,
    logger: pino({ level: 'silent' }),
    now: () => nowMs,
  });
});

afterEach(async () => {
  await purge.stop();
  await digests.close();
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function dot(): Dot {
  return { actor: 'coord-a', counter: BigInt(START_MS + ++counter) };
}

function contextOf(key: string): VersionVector {
  const stored = versions.read(TENANT, key);
  return stored ? readContext(stored) : VersionVector.EMPTY;
}

async function put(key: string, value = `value of ${key}`): Promise<void> {
  const context = contextOf(key);
  await versions.write({
    tenantId: TENANT,
    key,
    context,
    dot: dot(),
    content: { value: Buffer.from(value) },
    policy: 'siblings',
  });
}

async function remove(key: string): Promise<void> {
  const context = contextOf(key);
  await versions.write({
    tenantId: TENANT,
    key,
    context,
    dot: dot(),
    content: { tombstone: true },
    policy: 'siblings',
  });
}

const receipt = (key: string) => versions.receiptOf(encodeDataKey(TENANT, key));

describe('tombstone receipts', () => {
  it('a delete stores its receipt at the node clock; a later value removes it; a drop removes both', async () => {
    await put('k');
    expect(receipt('k')).toBeUndefined();
    nowMs += 5;
    await remove('k');
    expect(receipt('k')).toBe(START_MS + 5);
    expect(isDeleted(versions.read(TENANT, 'k')!)).toBe(true);
    nowMs += 5;
    await put('k', 'written again');
    expect(receipt('k')).toBeUndefined();
    await remove('k');
    expect(receipt('k')).toBe(START_MS + 10);
    await versions.drop(encodeDataKey(TENANT, 'k'));
    expect(receipt('k')).toBeUndefined();
    expect(versions.read(TENANT, 'k')).toBeUndefined();
  });

  it('a repair that brings tombstones stores a receipt at the time it arrived, not the dot', async () => {
    await put('k');
    const deleted = await (async () => {
      const other = new VersionStore('elsewhere', engine, {}, {}, UNTRACKED_CHANGES, () => nowMs);
      const context = contextOf('k');
      return other.write({
        tenantId: 'elsewhere',
        key: 'k',
        context,
        dot: { actor: 'coord-b', counter: 1n },
        content: { tombstone: true },
        policy: 'siblings',
      });
    })();
    nowMs += 42_000;
    await versions.repair(TENANT, 'k', deleted, 'siblings');
    expect(receipt('k')).toBe(START_MS + 42_000);
  });

  it('the repair horizon stays at the receipt of a store still on its way into the engine', async () => {
    let release!: () => void;
    const slow = Object.create(engine) as Engine;
    slow.writeApplied = (ops) =>
      new Promise<void>((resolve) => (release = resolve)).then(() => engine.writeApplied(ops));
    const pending = new VersionStore('node-1', slow, {}, {}, UNTRACKED_CHANGES, () => nowMs);
    nowMs = START_MS + 100;
    const storing = pending.write({
      tenantId: TENANT,
      key: 'slow',
      context: VersionVector.EMPTY,
      dot: dot(),
      content: { tombstone: true },
      policy: 'siblings',
    });
    nowMs = START_MS + 900;
    expect(pending.repairHorizonMs()).toBe(START_MS + 100);
    release();
    await storing;
    expect(pending.repairHorizonMs()).toBe(START_MS + 900);
  });
});

describe('the purge sweep', () => {
  /** Deletes `key` at START_MS, then moves the clock past the grace. */
  async function deletedAndAged(key: string): Promise<number> {
    await put(key);
    await remove(key);
    const receivedAtMs = receipt(key)!;
    nowMs = receivedAtMs + GRACE_MS + 1;
    return receivedAtMs;
  }

  const cases: Array<{
    name: string;
    arrange: (receivedAtMs: number) => void;
  }> = [
    {
      name: 'no pass compared its range',
      arrange: () => undefined,
    },
    {
      name: 'the only pass began before the tombstone arrived',
      arrange: (receivedAtMs) =>
        horizons.record(
          TENANT,
          { range: WHOLE_RING, verifiedBeforeMs: receivedAtMs, ringVersion: 3n },
          0n,
        ),
    },
    {
      name: 'the pass ran under a ring version a migration has since fenced off',
      arrange: (receivedAtMs) => {
        horizons.record(
          TENANT,
          { range: WHOLE_RING, verifiedBeforeMs: receivedAtMs + 1, ringVersion: 3n },
          0n,
        );
        minRingVersion = 4n;
      },
    },
    {
      name: 'the pass covered another range',
      arrange: (receivedAtMs) => {
        const token = keyToken(TENANT, 'k');
        const elsewhere = { start: token, end: token === 0n ? TOKEN_MAX : token - 1n };
        horizons.record(
          TENANT,
          { range: elsewhere, verifiedBeforeMs: receivedAtMs + 1, ringVersion: 3n },
          0n,
        );
      },
    },
    {
      name: 'the pass covered another tenant',
      arrange: (receivedAtMs) =>
        horizons.record(
          'other-tenant',
          { range: WHOLE_RING, verifiedBeforeMs: receivedAtMs + 1, ringVersion: 3n },
          0n,
        ),
    },
    {
      name: 'a migration holds tombstones',
      arrange: (receivedAtMs) => {
        horizons.record(
          TENANT,
          { range: WHOLE_RING, verifiedBeforeMs: receivedAtMs + 1, ringVersion: 3n },
          0n,
        );
        held = true;
      },
    },
    {
      name: 'it is younger than the grace',
      arrange: (receivedAtMs) => {
        horizons.record(
          TENANT,
          { range: WHOLE_RING, verifiedBeforeMs: receivedAtMs + 1, ringVersion: 3n },
          0n,
        );
        nowMs = receivedAtMs + GRACE_MS - 1;
      },
    },
  ];

  it.each(cases)('keeps a tombstone when $name', async ({ arrange }) => {
    const receivedAtMs = await deletedAndAged('k');
    arrange(receivedAtMs);
    expect(await purge.sweep()).toBe(0);
    expect(receipt('k')).toBe(receivedAtMs);
    expect(isDeleted(versions.read(TENANT, 'k')!)).toBe(true);
  });

  it('purges one past the grace whose range a later pass verified, and compaction drops it', async () => {
    const receivedAtMs = await deletedAndAged('k');
    await put('alive');
    horizons.record(
      TENANT,
      { range: WHOLE_RING, verifiedBeforeMs: receivedAtMs + 1, ringVersion: 3n },
      2n,
    );
    minRingVersion = 3n;
    const segment = segmentOfToken(keyToken(TENANT, 'k'));
    const before = digests.segment(TENANT, segment).keyCount;
    expect(await purge.sweep()).toBe(1);
    expect(receipt('k')).toBeUndefined();
    // The digest index lost the key too, as one rebuilt from the engine says.
    expect(digests.segment(TENANT, segment).keyCount).toBe(before - 1);
    const rebuilt = new DigestIndex(engine);
    rebuilt.rebuild();
    await rebuilt.settled();
    expect(digests.segment(TENANT, segment)).toEqual(rebuilt.segment(TENANT, segment));
    await rebuilt.close();
    expect(versions.read(TENANT, 'k')).toBeUndefined();
    expect(versions.read(TENANT, 'alive')).toBeDefined();

    await engine.compactAll();
    const dataKey = encodeDataKey(TENANT, 'k');
    const receiptKey = receiptKeyOf(dataKey);
    const left = tableEntries(dir).filter(
      ({ entry }) => entry.key.equals(dataKey) || entry.key.equals(receiptKey),
    );
    expect(left).toEqual([]);
    expect(
      tableEntries(dir).some(({ entry }) => entry.key.equals(encodeDataKey(TENANT, 'alive'))),
    ).toBe(true);
  });

  it('an engine delete made by a purge survives compaction until no older file holds the key', async () => {
    const receivedAtMs = await deletedAndAged('k');
    await engine.compactAll();
    horizons.record(
      TENANT,
      { range: WHOLE_RING, verifiedBeforeMs: receivedAtMs + 1, ringVersion: 0n },
      0n,
    );
    expect(await purge.sweep()).toBe(1);
    await engine.flush();
    const kinds = tableEntries(dir)
      .filter(({ entry }) => entry.key.equals(encodeDataKey(TENANT, 'k')))
      .map(({ entry }) => entry.kind);
    // The purge's delete shadows the tombstone set still in the bottom level.
    expect(kinds).toEqual(expect.arrayContaining([EntryKind.Delete, EntryKind.Put]));
    expect(versions.read(TENANT, 'k')).toBeUndefined();
  });

  it('does not purge tombstones a write replaced after the sweep judged them', async () => {
    const receivedAtMs = await deletedAndAged('k');
    horizons.record(
      TENANT,
      { range: WHOLE_RING, verifiedBeforeMs: receivedAtMs + 1, ringVersion: 0n },
      0n,
    );
    nowMs += 1;
    await remove('k');
    expect(await versions.purgeTombstone(encodeDataKey(TENANT, 'k'), receivedAtMs)).toBe(false);
    expect(isDeleted(versions.read(TENANT, 'k')!)).toBe(true);
    expect(receipt('k')).toBe(nowMs);
  });

  it('a key that fails to purge does not hold up the keys after it', async () => {
    for (const key of ['a', 'b', 'c']) await remove(key);
    nowMs += GRACE_MS;
    horizons.record(TENANT, { range: WHOLE_RING, verifiedBeforeMs: nowMs, ringVersion: 0n }, 0n);
    const failing = encodeDataKey(TENANT, 'b');
    const flaky = new TombstonePurge({
      engine,
      versions: {
        purgeTombstone: (dataKey, receivedAtMs) =>
          dataKey.equals(failing)
            ? Promise.reject(new Error('damaged block'))
            : versions.purgeTombstone(dataKey, receivedAtMs),
      },
      horizons,
      graceMs: GRACE_MS,
      minRingVersion: () => 0n,
      held: () => false,
      intervalMs: 3_600_000,
      logger: pino({ level: 'silent' }),
      now: () => nowMs,
    });
    expect(await flaky.sweep()).toBe(2);
    expect(['a', 'b', 'c'].map((key) => receipt(key) !== undefined)).toEqual([false, true, false]);
  });

  it('sweeps past a page of receipts', async () => {
    const keys = Array.from({ length: 1_500 }, (_, i) => `bulk-${i}`);
    for (const key of keys) await remove(key);
    nowMs += GRACE_MS;
    horizons.record(TENANT, { range: WHOLE_RING, verifiedBeforeMs: nowMs, ringVersion: 0n }, 0n);
    expect(await purge.sweep()).toBe(keys.length);
    expect(keys.filter((key) => receipt(key) !== undefined)).toEqual([]);
  });
});
