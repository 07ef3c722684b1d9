import fs from 'node:fs';
import path from 'node:path';
import {
  BackgroundError,
  CorruptionError,
  DiskFullError,
  Engine,
  EngineClosedError,
  InvalidArgumentError,
  KEY_BYTES_MAX,
  LockedError,
  WriteQueueFullError,
} from '../../src/engine';
import { readManifest } from '../../src/engine/manifest';
import { collect, flipByte, key, smallTree, temporaryDir } from './engine-fixture';

let dir: string;
const opened: Engine[] = [];

async function open(overrides = {}): Promise<Engine> {
  const engine = await Engine.open(smallTree(dir, overrides));
  opened.push(engine);
  return engine;
}

beforeEach(() => {
  dir = temporaryDir('engine');
});
afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('engine reads and writes', () => {
  it('a put is visible to get once its promise resolves, a delete hides it', async () => {
    const engine = await open({ syncPolicy: 'always' });
    await engine.put(Buffer.from('a'), Buffer.from('1'));
    expect(engine.get(Buffer.from('a'))?.toString()).toBe('1');
    await engine.delete(Buffer.from('a'));
    expect(engine.get(Buffer.from('a'))).toBeUndefined();
    await engine.put(Buffer.from('a'), Buffer.from('2'));
    expect(engine.get(Buffer.from('a'))?.toString()).toBe('2');
  });

  it('the newest value wins across memtable, L0 and deeper levels', async () => {
    const engine = await open();
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 200; i++) await engine.put(key(i), Buffer.from(`r${round}-${i}`));
      if (round % 2 === 0) await engine.flush();
    }
    await engine.compactAll();
    await engine.put(key(3), Buffer.from('latest'));
    expect(engine.get(key(3))?.toString()).toBe('latest');
    expect(engine.get(key(199))?.toString()).toBe('r5-199');
    expect(engine.stats().levels[4]!.files).toBeGreaterThan(0);
  });

  it('a write batch applies all its operations, in order, as one', async () => {
    const engine = await open();
    await engine.put(Buffer.from('gone'), Buffer.from('x'));
    await engine.write([
      { type: 'put', key: Buffer.from('a'), value: Buffer.from('1') },
      { type: 'delete', key: Buffer.from('gone') },
      { type: 'put', key: Buffer.from('a'), value: Buffer.from('2') },
    ]);
    expect(engine.get(Buffer.from('a'))?.toString()).toBe('2');
    expect(engine.get(Buffer.from('gone'))).toBeUndefined();
    await engine.close();
    const reopened = await open();
    expect(reopened.get(Buffer.from('a'))?.toString()).toBe('2');
    expect(reopened.get(Buffer.from('gone'))).toBeUndefined();
  });

  it('an empty batch resolves without consuming a sequence number', async () => {
    const engine = await open();
    await engine.write([]);
    expect(engine.stats().lastSeq).toBe(0);
  });

  it('stored values are copies: changing the caller buffer later changes nothing', async () => {
    const engine = await open();
    const value = Buffer.from('original');
    await engine.put(Buffer.from('k'), value);
    value.fill(0);
    expect(engine.get(Buffer.from('k'))?.toString()).toBe('original');
  });

  // Flushed memtables hand their memory to the next ones: what get() returned must be a copy.
  it('values returned by get() survive the flush of their memtable and the reuse of its memory', async () => {
    const engine = await open({ memtableBytesMax: 1 << 20 });
    for (let i = 0; i < 50; i++) await engine.put(key(i), Buffer.from(`first-${i}`));
    const held = Array.from({ length: 50 }, (_, i) => engine.get(key(i))!);
    for (let round = 0; round < 3; round++) {
      await engine.flush();
      for (let i = 0; i < 50; i++) await engine.put(key(1000 * round + i), Buffer.alloc(8, 0xee));
    }
    expect(held.map((value) => value.toString())).toEqual(
      Array.from({ length: 50 }, (_, i) => `first-${i}`),
    );
  });

  it('empty and oversized keys are refused with InvalidArgumentError', async () => {
    const engine = await open();
    await expect(engine.put(Buffer.alloc(0), Buffer.from('v'))).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(engine.put(Buffer.alloc(KEY_BYTES_MAX + 1), Buffer.from('v'))).rejects.toThrow(
      InvalidArgumentError,
    );
    expect(() => engine.get(Buffer.alloc(0))).toThrow(InvalidArgumentError);
  });
});

describe('engine iteration', () => {
  async function filled(): Promise<Engine> {
    const engine = await open();
    for (let i = 0; i < 300; i++) await engine.put(key(i), Buffer.from(`v${i}`));
    await engine.flush();
    for (let i = 0; i < 300; i += 3) await engine.delete(key(i));
    for (let i = 1; i < 300; i += 3) await engine.put(key(i), Buffer.from(`w${i}`));
    return engine;
  }

  it('returns live keys only, ascending, newest values', async () => {
    const engine = await filled();
    const pairs = await collect(engine);
    expect(pairs).toHaveLength(200);
    expect(pairs.slice(0, 2)).toEqual([
      ['key-00001', 'w1'],
      ['key-00002', 'v2'],
    ]);
    const keys = pairs.map(([k]) => k);
    expect([...keys].sort()).toEqual(keys);
  });

  it('honours gte, gt, lt and limit', async () => {
    const engine = await filled();
    expect((await collect(engine, { gte: key(4), lt: key(8) })).map(([k]) => k)).toEqual([
      'key-00004',
      'key-00005',
      'key-00007',
    ]);
    expect((await collect(engine, { gt: key(4), limit: 2 })).map(([k]) => k)).toEqual([
      'key-00005',
      'key-00007',
    ]);
    expect(await collect(engine, { gte: key(10), lt: key(10) })).toEqual([]);
    expect(() => engine.iterate({ gte: key(1), gt: key(1) })).toThrow(InvalidArgumentError);
  });

  it('an open iterator sees its start state through writes, flushes and compactions', async () => {
    const engine = await filled();
    const iterator = engine.iterate();
    const first = iterator.next().value as [Buffer, Buffer];
    for (let i = 0; i < 300; i++) await engine.put(key(i), Buffer.from('changed'));
    await engine.compactAll();
    const rest = [...iterator].map(([k, v]) => [k.toString(), v.toString()]);
    expect(rest).toHaveLength(199);
    expect(first[1].toString()).toBe('w1');
    expect(rest.every(([, v]) => v !== 'changed')).toBe(true);
  });

  it('a snapshot keeps its view through compaction until released', async () => {
    const engine = await filled();
    const snapshot = engine.snapshot();
    const before = await collect(engine, { snapshot });
    for (let i = 0; i < 300; i++) await engine.put(key(i), Buffer.from('changed'));
    await engine.compactAll();
    expect(await collect(engine, { snapshot })).toEqual(before);
    snapshot.release();
    expect(() => engine.iterate({ snapshot })).toThrow('released');
    await engine.compactAll();
    expect((await collect(engine)).every(([, v]) => v === 'changed')).toBe(true);
  });

  it('files an abandoned iterator pinned are deleted once it is returned', async () => {
    const engine = await filled();
    await engine.flush();
    const iterator = engine.iterate();
    iterator.next();
    const pinned = readManifest(dir)!.files.map((file) => file.fileNumber);
    await engine.compactAll();
    const pinnedPath = path.join(dir, `${String(pinned[0]).padStart(6, '0')}.sst`);
    expect(fs.existsSync(pinnedPath)).toBe(true);
    iterator.return();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fs.existsSync(pinnedPath)).toBe(false);
  });
});

describe('engine lifecycle', () => {
  it('a second engine on the same directory is refused while the first is open', async () => {
    const engine = await open();
    await expect(Engine.open(smallTree(dir))).rejects.toThrow(LockedError);
    await engine.close();
    const again = await open();
    expect(again.stats().lastSeq).toBe(0);
  });

  it('a lock left by a dead process is taken over', async () => {
    fs.writeFileSync(path.join(dir, 'LOCK'), '2147483646\n');
    const engine = await open();
    await engine.put(Buffer.from('k'), Buffer.from('v'));
    expect(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('close flushes the memtable so reopening replays no commit log', async () => {
    const engine = await open({ memtableBytesMax: 1024 * 1024 });
    for (let i = 0; i < 50; i++) await engine.put(key(i), Buffer.from('v'));
    await engine.close();
    const logs = fs.readdirSync(dir).filter((name) => name.endsWith('.log'));
    expect(logs).toHaveLength(1);
    expect(fs.statSync(path.join(dir, logs[0]!)).size).toBe(20);
    const reopened = await open();
    expect(reopened.stats().memtableBytes).toBe(0);
    expect(reopened.get(key(49))?.toString()).toBe('v');
  });

  it('operations after close fail with EngineClosedError', async () => {
    const engine = await Engine.open(smallTree(dir));
    await engine.close();
    await expect(engine.put(Buffer.from('k'), Buffer.from('v'))).rejects.toThrow(EngineClosedError);
    expect(() => engine.get(Buffer.from('k'))).toThrow(EngineClosedError);
    await engine.close();
  });

  it('writes during an L0 backlog are delayed, counted, and all applied in order', async () => {
    const engine = await open({
      memtableBytesMax: 1024,
      l0CompactionTrigger: 2,
      l0SlowdownTrigger: 2,
      l0StopTrigger: 3,
    });
    const writes = [];
    for (let i = 0; i < 2000; i++) writes.push(engine.put(key(i % 100), Buffer.from(`v${i}`)));
    await Promise.all(writes);
    expect(engine.stats().writeStalls).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) expect(engine.get(key(i))?.toString()).toBe(`v${1900 + i}`);
  });

  // close() once spun forever here: it waited for the queued writes, which waited for an L0
  // compaction, which close() had stopped scheduling.
  it('close() applies writes queued behind an L0 stop (close during a backlog)', async () => {
    const settings = {
      memtableBytesMax: 1024,
      l0CompactionTrigger: 2,
      l0SlowdownTrigger: 2,
      l0StopTrigger: 3,
    };
    const engine = await open(settings);
    const writes = [];
    for (let i = 0; i < 2000; i++) writes.push(engine.put(key(i % 100), Buffer.from(`v${i}`)));
    const results = Promise.allSettled(writes);
    await engine.close();
    expect((await results).filter((result) => result.status === 'rejected')).toEqual([]);
    expect(engine.stats().writeStalls).toBeGreaterThan(0);
    const reopened = await open(settings);
    for (let i = 0; i < 100; i++) expect(reopened.get(key(i))?.toString()).toBe(`v${1900 + i}`);
  }, 60_000);

  it('writes submitted in one event-loop turn share one commit-log fsync', async () => {
    const engine = await open({ syncPolicy: 'always', memtableBytesMax: 1024 * 1024 });
    await engine.put(Buffer.from('warm-up'), Buffer.from('v'));
    const before = engine.stats().commitLogFsyncs;
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => engine.put(key(i), Buffer.from(`v${i}`))),
    );
    expect(engine.stats().commitLogFsyncs - before).toBe(1);
  });

  it('never keeps more SSTable readers open than maxOpenFiles', async () => {
    const engine = await open({
      maxOpenFiles: 2,
      l0CompactionTrigger: 100,
      l0SlowdownTrigger: 100,
      l0StopTrigger: 100,
    });
    for (let i = 0; i < 300; i++) {
      await engine.put(key(i), Buffer.alloc(64, 1));
      if (i % 50 === 49) await engine.flush();
    }
    expect(engine.stats().levels[0]!.files).toBeGreaterThan(2);
    for (let i = 0; i < 300; i++) expect(engine.get(key(i))).toEqual(Buffer.alloc(64, 1));
    expect(engine.stats().openFiles).toBeLessThanOrEqual(2);
  });

  it('stats report levels, memtable, cache and commit-log figures', async () => {
    const engine = await open({ syncPolicy: 'always' });
    for (let i = 0; i < 200; i++) await engine.put(key(i), Buffer.alloc(64, 1));
    await engine.flush();
    engine.get(key(1));
    engine.get(key(1));
    const stats = engine.stats();
    expect(stats.levels.map((level) => level.level)).toEqual([0, 1, 2, 3, 4]);
    expect(stats.levels.reduce((sum, level) => sum + level.files, 0)).toBeGreaterThan(0);
    expect(stats.flushes).toBeGreaterThan(0);
    expect(stats.commitLogFsyncs).toBeGreaterThanOrEqual(200);
    expect(stats.fsyncSecondsTotal).toBeGreaterThan(0);
    expect(stats.cacheHits).toBeGreaterThanOrEqual(1);
    expect(stats.cacheHitRatio).toBeGreaterThan(0);
    expect(stats.bytesWritten).toBeGreaterThan(200 * 64);
    expect(stats.bytesRead).toBe(128);
    expect(stats.backgroundError).toBeUndefined();
  });
});

describe('engine write queue', () => {
  // Each value is bigger than a whole memtable, so every write fills one: after the active
  // memtable and the frozen ones are full, writes of the same event-loop turn (before any flush
  // can finish) must wait in the write queue.
  const MEMTABLE_BYTES = 1024;
  const VALUE_BYTES = 2048;
  const k = Buffer.from('k');

  function valueOf(index: number): Buffer {
    return Buffer.from(String(index).padStart(VALUE_BYTES, '-'));
  }

  it('a full queue refuses further writes at once; those it admitted apply in order', async () => {
    const engine = await open({ memtableBytesMax: MEMTABLE_BYTES, writeQueueLengthMax: 8 });
    const visibleAtResolve: number[][] = [];
    const writes = Array.from({ length: 40 }, (_, index) =>
      engine.put(k, valueOf(index)).then(() => {
        visibleAtResolve.push([index, Number(engine.get(k)!.toString().replace(/^-+/, ''))]);
      }),
    );
    expect(engine.stats().queuedWrites).toBe(8);
    const settled = await Promise.allSettled(writes);

    const accepted = settled.flatMap((result, index) =>
      result.status === 'fulfilled' ? [index] : [],
    );
    const refused = settled.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    expect(refused.length).toBeGreaterThan(0);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(WriteQueueFullError);
      expect((reason as Error).message).toContain('limit 8');
    }
    // Refusals come only once the queue is full: the admitted writes are the first ones.
    expect(accepted).toEqual(Array.from({ length: accepted.length }, (_, index) => index));
    expect(engine.stats().writesRefused).toBe(refused.length);
    // Applied in submission order: a write never sees an earlier one applied after it.
    for (const [index, visible] of visibleAtResolve) expect(visible).toBeGreaterThanOrEqual(index!);
    const last = accepted[accepted.length - 1]!;
    expect(engine.get(k)).toEqual(valueOf(last));

    expect(engine.stats().queuedWrites).toBe(0);
    await engine.put(k, valueOf(1000));
    await engine.close();
    const reopened = await open();
    expect(reopened.get(k)).toEqual(valueOf(1000));
  });

  it('the queue holds no more bytes than its byte limit', async () => {
    // Room for four queued writes of a 2 KiB value and a small header each, not five.
    const bytesMax = 5 * VALUE_BYTES - 100;
    const engine = await open({ memtableBytesMax: MEMTABLE_BYTES, writeQueueBytesMax: bytesMax });
    const writes = Array.from({ length: 20 }, (_, index) => engine.put(k, valueOf(index)));
    expect(engine.stats().queuedWrites).toBe(4);
    expect(engine.stats().queuedWriteBytes).toBeLessThanOrEqual(bytesMax);
    const settled = await Promise.allSettled(writes);
    const refused = settled.filter((result) => result.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const result of refused) {
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(WriteQueueFullError);
    }
    const accepted = settled.filter((result) => result.status === 'fulfilled').length;
    expect(engine.get(k)).toEqual(valueOf(accepted - 1));
  });

  it('refuses a queue limit below 1 when opening', async () => {
    await expect(open({ writeQueueLengthMax: 0 })).rejects.toThrow(/writeQueueLengthMax/);
    await expect(open({ writeQueueBytesMax: 0 })).rejects.toThrow(/writeQueueBytesMax/);
  });
});

describe('engine disk guard and sticky errors', () => {
  it('below the free-space minimum writes fail with DiskFullError and reads go on', async () => {
    let freeBytes = 1024;
    const engine = await open({
      diskFreeBytesMin: 4096,
      diskFreeBytesSource: async () => freeBytes,
    });
    await expect(engine.put(Buffer.from('k'), Buffer.from('v'))).rejects.toThrow(DiskFullError);
    expect(engine.get(Buffer.from('k'))).toBeUndefined();
    freeBytes = 1024 * 1024;
    const deadline = Date.now() + 3000;
    for (;;) {
      try {
        await engine.put(Buffer.from('k'), Buffer.from('v'));
        break;
      } catch (error) {
        expect(error).toBeInstanceOf(DiskFullError);
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(engine.get(Buffer.from('k'))?.toString()).toBe('v');
  });

  it('a failed compaction sticks: writes refused with it until reopen, reads go on', async () => {
    // No automatic compaction, so the damaged file is certainly read by compactAll.
    const engine = await open({
      l0CompactionTrigger: 100,
      l0SlowdownTrigger: 100,
      l0StopTrigger: 100,
    });
    for (let i = 0; i < 100; i++) await engine.put(key(i), Buffer.alloc(100, 7));
    await engine.flush();
    const table = readManifest(dir)!.files[0]!;
    const file = path.join(dir, `${String(table.fileNumber).padStart(6, '0')}.sst`);
    flipByte(file, 20);
    await engine.put(Buffer.from('fresh'), Buffer.from('still readable'));
    await expect(engine.compactAll()).rejects.toBeInstanceOf(BackgroundError);
    expect(engine.backgroundError).toBeInstanceOf(BackgroundError);
    expect((engine.backgroundError as BackgroundError).cause).toBeInstanceOf(CorruptionError);
    expect(engine.backgroundError?.message).toContain(file);
    await expect(engine.put(Buffer.from('x'), Buffer.from('y'))).rejects.toBe(
      engine.backgroundError,
    );
    expect(engine.get(Buffer.from('fresh'))?.toString()).toBe('still readable');
    expect(engine.stats().backgroundError).toContain('CRC');
  });
});
