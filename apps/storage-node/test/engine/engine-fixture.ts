// Shared set-up for engine tests: temporary data directories and small-tree options that make
// flushes and compactions happen after a few kilobytes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine, EngineOptions } from '../../src/engine';
import { readManifest } from '../../src/engine/manifest';
import { SSTableReader } from '../../src/engine/sstable';
import { Entry } from '../../src/engine/entry';
import { tablePath } from '../../src/engine/file-names';

/** Options for a tiny tree: 4 KiB memtables, 16 KiB L1, no disk guard, no fsync. */
export function smallTree(dir: string, overrides: Partial<EngineOptions> = {}): EngineOptions {
  return {
    dir,
    syncPolicy: 'none',
    memtableBytesMax: 4 * 1024,
    level1BytesMax: 16 * 1024,
    levelSizeMultiplier: 2,
    tableBlockBytes: 512,
    diskFreeBytesMin: 0,
    ...overrides,
  };
}

export function temporaryDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `pairdb-${prefix}-`));
}

/**
 * Copies a directory as a crash would leave it (files as written so far; no close). The copy is
 * file by file, so the engine must be dead or idle (Engine.idle) for it to be one state; a file
 * deleted meanwhile (an obsolete SSTable going away) is skipped.
 */
export function crashImage(dir: string, prefix: string): string {
  const copy = temporaryDir(prefix);
  for (const name of fs.readdirSync(dir)) {
    try {
      fs.copyFileSync(path.join(dir, name), path.join(copy, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return copy;
}

/** Every entry (all versions, tombstones included) in the live SSTables of a closed engine. */
export function tableEntries(dir: string): { level: number; entry: Entry }[] {
  const manifest = readManifest(dir)!;
  const found: { level: number; entry: Entry }[] = [];
  for (const file of manifest.files) {
    const reader = SSTableReader.open(tablePath(dir, file.fileNumber), {
      fileNumber: file.fileNumber,
    });
    try {
      for (const entry of reader.entries()) {
        found.push({
          level: file.level,
          entry: { ...entry, key: Buffer.from(entry.key), value: Buffer.from(entry.value) },
        });
      }
    } finally {
      reader.close();
    }
  }
  return found;
}

export function key(index: number): Buffer {
  return Buffer.from(`key-${String(index).padStart(5, '0')}`);
}

export async function collect(engine: Engine, range = {}): Promise<[string, string][]> {
  return [...engine.iterate(range)].map(([k, v]) => [k.toString(), v.toString()]);
}

/** Flips one byte in place (no truncate-and-rewrite window a concurrent reader could see). */
export function flipByte(file: string, offset: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, offset);
    byte[0] ^= 0xff;
    fs.writeSync(fd, byte, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
}
