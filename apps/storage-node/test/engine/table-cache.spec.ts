import fs from 'node:fs';
import { BlockCache } from '../../src/engine/block-cache';
import { EntryKind } from '../../src/engine/entry';
import { TableFile } from '../../src/engine/manifest';
import { SSTableWriter } from '../../src/engine/sstable';
import { TableCache } from '../../src/engine/table-cache';
import { LiveFile } from '../../src/engine/version';
import { tablePath } from '../../src/engine/file-names';
import { temporaryDir } from './engine-fixture';

let dir: string;
beforeEach(() => {
  dir = temporaryDir('table-cache');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One SSTable holding key "k" with `value`, as a live file numbered `fileNumber`. */
function table(fileNumber: number, value: string): LiveFile {
  const path = tablePath(dir, fileNumber);
  const writer = new SSTableWriter(path);
  writer.add({
    key: Buffer.from('k'),
    seq: fileNumber,
    kind: EntryKind.Put,
    value: Buffer.from(value),
  });
  const meta = writer.finish();
  const record: TableFile = { ...meta, fileNumber, level: 0 };
  return new LiveFile(record, path);
}

describe('table cache', () => {
  it('keeps at most maxOpenFiles readers open, closing the least recently used', () => {
    const cache = new TableCache(2, undefined);
    const files = [table(1, 'a'), table(2, 'b'), table(3, 'c')];
    for (const file of files) cache.reader(file).get(Buffer.from('k'));
    expect(cache.openFiles).toBe(2);
    expect(cache.reader(files[0]!).get(Buffer.from('k'))?.value.toString()).toBe('a');
    cache.closeAll();
  });

  it('a pinned reader stays usable after eviction until released', () => {
    const cache = new TableCache(1, undefined);
    const [first, second] = [table(1, 'a'), table(2, 'b')];
    const pinned = cache.pin(first);
    cache.reader(second);
    expect(pinned.reader.get(Buffer.from('k'))?.value.toString()).toBe('a');
    pinned.release();
    expect(() => pinned.reader.get(Buffer.from('k'))).toThrow();
    cache.closeAll();
  });

  it('file numbers beyond the block cache key space still cache blocks', () => {
    const blocks = new BlockCache(1024 * 1024);
    const cache = new TableCache(8, blocks);
    const file = table(2 ** 22, 'far');
    cache.reader(file).get(Buffer.from('k'));
    cache.reader(file).get(Buffer.from('k'));
    expect(blocks.stats().hits).toBe(1);
    cache.closeAll();
  });

  it("a deleted file's cache id is reused without serving its stale blocks", () => {
    const blocks = new BlockCache(1024 * 1024);
    const cache = new TableCache(8, blocks);
    const old = table(5, 'old');
    expect(cache.reader(old).get(Buffer.from('k'))?.value.toString()).toBe('old');
    cache.evict(old.fileNumber);
    const next = table(6, 'new');
    expect(cache.reader(next).get(Buffer.from('k'))?.value.toString()).toBe('new');
    cache.closeAll();
  });
});
