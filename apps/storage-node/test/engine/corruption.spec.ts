/**
 * Damaged files, found at open or on read: each is a CorruptionError naming the file and the
 * offset of the damage, and no read ever returns wrong data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CorruptionError, Engine } from '../../src/engine';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from '../../src/engine/commit-log';
import { tablePath } from '../../src/engine/file-names';
import { readManifest } from '../../src/engine/manifest';
import { crashImage, flipByte, key, smallTree, temporaryDir } from './engine-fixture';

const dirs: string[] = [];
function track(dir: string): string {
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function corruptionAtOpen(dir: string): Promise<CorruptionError> {
  try {
    const engine = await Engine.open(smallTree(dir));
    await engine.close();
  } catch (error) {
    if (error instanceof CorruptionError) return error;
    throw error;
  }
  throw new Error('expected Engine.open to fail with CorruptionError');
}

function corruptionOf(action: () => unknown): CorruptionError {
  try {
    action();
  } catch (error) {
    if (error instanceof CorruptionError) return error;
    throw error;
  }
  throw new Error('expected a CorruptionError');
}

/** Offsets of the records in a commit-log segment. */
function recordOffsets(file: string): number[] {
  const bytes = fs.readFileSync(file);
  const offsets: number[] = [];
  for (let offset = SEGMENT_HEADER_BYTES; offset < bytes.length;) {
    offsets.push(offset);
    offset += RECORD_HEADER_BYTES + bytes.readUInt32LE(offset + 4);
  }
  return offsets;
}

/** A closed engine directory whose data sits in SSTables: 300 keys, values of 40 bytes. */
async function flushedDir(): Promise<string> {
  const dir = track(temporaryDir('corrupt-sst'));
  const engine = await Engine.open(
    smallTree(dir, { memtableBytesMax: 1024 * 1024, l0CompactionTrigger: 8 }),
  );
  for (let i = 0; i < 300; i++) await engine.put(key(i), Buffer.alloc(40, i % 256));
  await engine.close();
  return dir;
}

function onlyTable(dir: string): string {
  const files = readManifest(dir)!.files;
  expect(files).toHaveLength(1);
  return tablePath(dir, files[0]!.fileNumber);
}

describe('engine corruption reporting', () => {
  it('a flipped commit-log record before the tail fails open with file and offset', async () => {
    const dir = track(temporaryDir('corrupt-log'));
    const engine = await Engine.open(smallTree(dir, { memtableBytesMax: 1024 * 1024 }));
    for (let i = 0; i < 20; i++) await engine.put(key(i), Buffer.from(`value-${i}`));
    const image = track(crashImage(dir, 'corrupt-log-image'));
    await engine.close();
    const segment = fs.readdirSync(image).find((name) => name.endsWith('.log'))!;
    const file = path.join(image, segment);
    const offsets = recordOffsets(file);
    expect(offsets).toHaveLength(20);
    flipByte(file, offsets[5]! + RECORD_HEADER_BYTES + 2);
    const error = await corruptionAtOpen(image);
    expect(error.file).toBe(file);
    expect(error.offset).toBe(offsets[5]);
  });

  it('a torn final commit-log record loses only that record', async () => {
    const dir = track(temporaryDir('torn-log'));
    const engine = await Engine.open(smallTree(dir, { memtableBytesMax: 1024 * 1024 }));
    for (let i = 0; i < 20; i++) await engine.put(key(i), Buffer.from(`value-${i}`));
    const image = track(crashImage(dir, 'torn-log-image'));
    await engine.close();
    const file = path.join(
      image,
      fs.readdirSync(image).find((name) => name.endsWith('.log'))!,
    );
    fs.truncateSync(file, fs.statSync(file).size - 3);
    const recovered = await Engine.open(smallTree(image));
    try {
      expect(recovered.get(key(18))?.toString()).toBe('value-18');
      expect(recovered.get(key(19))).toBeUndefined();
      expect([...recovered.iterate()]).toHaveLength(19);
    } finally {
      await recovered.close();
    }
  });

  it('a flipped SSTable data block fails the reads that need it, not others', async () => {
    const dir = await flushedDir();
    const file = onlyTable(dir);
    flipByte(file, 10);
    const engine = await Engine.open(smallTree(dir));
    try {
      const error = corruptionOf(() => engine.get(key(0)));
      expect(error.file).toBe(file);
      expect(error.offset).toBe(0);
      expect(corruptionOf(() => [...engine.iterate()]).file).toBe(file);
      expect(engine.get(key(299))).toEqual(Buffer.alloc(40, 299 % 256));
    } finally {
      await engine.close();
    }
  });

  it('a flipped SSTable footer byte fails open with the file and a footer offset', async () => {
    const dir = await flushedDir();
    const file = onlyTable(dir);
    const size = fs.statSync(file).size;
    flipByte(file, size - 6);
    const error = await corruptionAtOpen(dir);
    expect(error.file).toBe(file);
    expect(error.offset).toBeGreaterThanOrEqual(size - 52);
    expect(error.offset).toBeLessThan(size);
  });

  it('a truncated SSTable fails open: its size differs from the manifest', async () => {
    const dir = await flushedDir();
    const file = onlyTable(dir);
    fs.truncateSync(file, fs.statSync(file).size - 100);
    expect((await corruptionAtOpen(dir)).file).toBe(file);
  });

  it('an SSTable listed by the manifest but missing fails open', async () => {
    const dir = await flushedDir();
    const file = onlyTable(dir);
    fs.rmSync(file);
    expect(await corruptionAtOpen(dir)).toMatchObject({ file, offset: 0 });
  });

  it('a flipped byte in the manifest fails open with the manifest file', async () => {
    const dir = await flushedDir();
    const manifest = path.join(dir, 'MANIFEST');
    flipByte(manifest, 30);
    const error = await corruptionAtOpen(dir);
    expect(error.file).toBe(manifest);
    expect(error.offset).toBeGreaterThanOrEqual(0);
  });

  it('a failed open releases the directory, so opening again after repair works', async () => {
    const dir = await flushedDir();
    const manifest = path.join(dir, 'MANIFEST');
    flipByte(manifest, 30);
    await corruptionAtOpen(dir);
    flipByte(manifest, 30);
    const engine = await Engine.open(smallTree(dir));
    try {
      expect(engine.get(key(7))).toEqual(Buffer.alloc(40, 7));
    } finally {
      await engine.close();
    }
  });

  it('data files without a manifest are refused rather than treated as a new store', async () => {
    const dir = await flushedDir();
    fs.rmSync(path.join(dir, 'MANIFEST'));
    expect((await corruptionAtOpen(dir)).file).toBe(path.join(dir, 'MANIFEST'));
    expect(fs.existsSync(path.join(dir, 'MANIFEST'))).toBe(false);
  });
});
