/**
 * Compaction through the Engine: what survives in the SSTables themselves (read back with the
 * SSTable reader), not only what get() answers.
 */
import fs from 'node:fs';
import { Engine } from '../../src/engine';
import { EntryKind } from '../../src/engine/entry';
import { BOTTOM_LEVEL } from '../../src/engine/compaction/leveled';
import { key, smallTree, tableEntries, temporaryDir } from './engine-fixture';

const GRACE_MS = 60_000;
const START_MS = 1_000_000;

let dir: string;
let nowMs: number;
let engine: Engine;

beforeEach(async () => {
  dir = temporaryDir('compaction');
  nowMs = START_MS;
  engine = await Engine.open(smallTree(dir, { tombstoneGraceMs: GRACE_MS, now: () => nowMs }));
});
afterEach(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function versionsOf(index: number) {
  return tableEntries(dir).filter(({ entry }) => entry.key.equals(key(index)));
}

describe('engine compaction', () => {
  it('keeps exactly the newest version of every key, at the bottom level', async () => {
    for (let version = 0; version < 5; version++) {
      for (let i = 0; i < 100; i++) await engine.put(key(i), Buffer.from(`v${version}-${i}`));
      await engine.flush();
    }
    await engine.compactAll();
    const entries = tableEntries(dir);
    expect(entries).toHaveLength(100);
    for (let i = 0; i < 100; i++) {
      const versions = versionsOf(i);
      expect(versions).toHaveLength(1);
      expect(versions[0]!.level).toBe(BOTTOM_LEVEL);
      expect(versions[0]!.entry.value.toString()).toBe(`v4-${i}`);
    }
    expect(engine.stats().compactions).toBeGreaterThan(0);
  });

  it('tombstones survive compaction inside the grace period and are dropped after it', async () => {
    for (let i = 0; i < 100; i++) await engine.put(key(i), Buffer.from(`value-${i}`));
    await engine.flush();
    for (let i = 0; i < 50; i++) await engine.delete(key(i));
    nowMs = START_MS + GRACE_MS - 1;
    await engine.compactAll();
    for (let i = 0; i < 50; i++) {
      const versions = versionsOf(i);
      expect(versions.map(({ entry }) => entry.kind)).toEqual([EntryKind.Delete]);
      expect(engine.get(key(i))).toBeUndefined();
    }
    nowMs = START_MS + GRACE_MS;
    await engine.compactAll();
    for (let i = 0; i < 50; i++) {
      expect(versionsOf(i)).toEqual([]);
      expect(engine.get(key(i))).toBeUndefined();
    }
    expect(tableEntries(dir)).toHaveLength(50);
    await engine.close();
    engine = await Engine.open(smallTree(dir, { tombstoneGraceMs: GRACE_MS, now: () => nowMs }));
    expect(engine.get(key(0))).toBeUndefined();
    expect([...engine.iterate()]).toHaveLength(50);
  });

  it('while tombstones are held (a migration runs) compaction keeps every expired one', async () => {
    await engine.close();
    let held = true;
    engine = await Engine.open(
      smallTree(dir, { tombstoneGraceMs: GRACE_MS, now: () => nowMs, tombstonesHeld: () => held }),
    );
    for (let i = 0; i < 20; i++) await engine.put(key(i), Buffer.from(`value-${i}`));
    await engine.flush();
    for (let i = 0; i < 10; i++) await engine.delete(key(i));
    nowMs = START_MS + 10 * GRACE_MS;
    await engine.compactAll();
    for (let i = 0; i < 10; i++) {
      expect(versionsOf(i).map(({ entry }) => entry.kind)).toEqual([EntryKind.Delete]);
    }
    held = false;
    await engine.compactAll();
    for (let i = 0; i < 10; i++) expect(versionsOf(i)).toEqual([]);
    expect(tableEntries(dir)).toHaveLength(10);
  });

  it('an expired tombstone is kept while an older level still holds the key', async () => {
    await engine.put(key(1), Buffer.from('old'));
    await engine.compactAll();
    nowMs += 10 * GRACE_MS;
    await engine.delete(key(1));
    nowMs += 10 * GRACE_MS;
    await engine.flush();
    const versions = versionsOf(1);
    expect(versions.map(({ level, entry }) => [level, entry.kind])).toEqual(
      expect.arrayContaining([
        [0, EntryKind.Delete],
        [BOTTOM_LEVEL, EntryKind.Put],
      ]),
    );
    expect(engine.get(key(1))).toBeUndefined();
    await engine.compactAll();
    expect(versionsOf(1)).toEqual([]);
    expect(engine.get(key(1))).toBeUndefined();
  });

  it('reads and writes keep flowing while compactions run in the worker', async () => {
    for (let i = 0; i < 2000; i++) await engine.put(key(i % 500), Buffer.alloc(50, i % 7));
    await engine.flush();
    let compacted = false;
    const compacting = engine.compactAll().then(() => {
      compacted = true;
    });
    let reads = 0;
    let writes = 0;
    while (!compacted) {
      expect(engine.get(key(reads % 500))).toEqual(Buffer.alloc(50, (1500 + (reads % 500)) % 7));
      reads++;
      await engine.put(key(1000 + writes), Buffer.from('during'));
      if (!compacted) writes++;
    }
    await compacting;
    expect(reads).toBeGreaterThan(1);
    expect(writes).toBeGreaterThan(0);
    expect(engine.get(key(1000))?.toString()).toBe('during');
  });
});
