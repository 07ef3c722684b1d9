/**
 * Opening a data directory: read (or create) the manifest, remove what interrupted work left
 * behind, check every live SSTable, and replay the commit log into a memtable.
 *
 * Order matters for safety: nothing is deleted before the manifest has been read and decoded;
 * only files the manifest does not reference (SSTables of an unfinished flush or compaction,
 * segments below logNumber, MANIFEST.tmp) are removed; data files without any manifest are
 * refused, never treated as a fresh store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RecoveryLogger, recoverCommitLog } from './commit-log';
import { CorruptionError } from './errors';
import { MANIFEST_FILE, MANIFEST_TEMP_FILE, parseNumberedFileName, tablePath } from './file-names';
import { LEVEL_COUNT, ManifestState, readManifest, writeManifest } from './manifest';
import { Memtable, MemtablePool } from './memtable';
import { TableCache } from './table-cache';
import { LiveFile } from './version';

export interface RecoveredStore {
  manifest: ManifestState;
  /** Live SSTables by level, each opened once and checked. */
  levels: LiveFile[][];
  /** Commit-log records not yet in SSTables. */
  memtable: Memtable;
  /** Highest sequence number in SSTables or the commit log. */
  lastSeq: number;
  /** Above every file number on disk and in the manifest. */
  nextFileNumber: number;
  /** Segments kept on disk (deleted once their memtable is flushed). */
  segments: number[];
  replayedRecords: number;
}

export async function recoverStore(
  dir: string,
  tables: TableCache,
  memtablePool: MemtablePool,
  logger: RecoveryLogger,
): Promise<RecoveredStore> {
  const names = await fs.promises.readdir(dir);
  const manifest = readManifest(dir) ?? (await createManifest(dir, names));
  const { segments, highestFileNumber } = await removeStrayFiles(dir, names, manifest);
  const levels = openTables(dir, manifest, tables);
  const memtable = new Memtable(memtablePool);
  const replayed = recoverCommitLog(
    dir,
    segments,
    (entries) => {
      for (const entry of entries) if (entry.seq > manifest.lastSeq) memtable.add(entry);
    },
    logger,
  );
  return {
    manifest,
    levels,
    memtable,
    lastSeq: Math.max(manifest.lastSeq, replayed.lastSeq),
    nextFileNumber: Math.max(manifest.nextFileNumber, highestFileNumber + 1),
    segments: replayed.segments,
    replayedRecords: replayed.records,
  };
}

async function createManifest(dir: string, names: readonly string[]): Promise<ManifestState> {
  if (names.some((name) => parseNumberedFileName(name))) {
    throw new CorruptionError(
      'manifest missing while data files exist',
      path.join(dir, MANIFEST_FILE),
      0,
    );
  }
  const manifest: ManifestState = { nextFileNumber: 1, lastSeq: 0, logNumber: 0, files: [] };
  await writeManifest(dir, manifest);
  return manifest;
}

/** Deletes leftovers of interrupted work; returns the commit-log segments to replay. */
async function removeStrayFiles(
  dir: string,
  names: readonly string[],
  manifest: ManifestState,
): Promise<{ segments: number[]; highestFileNumber: number }> {
  const live = new Set(manifest.files.map((file) => file.fileNumber));
  const segments: number[] = [];
  let highestFileNumber = 0;
  for (const name of names) {
    const parsed = parseNumberedFileName(name);
    const stray =
      name === MANIFEST_TEMP_FILE ||
      (parsed?.kind === 'sst' && !live.has(parsed.fileNumber)) ||
      (parsed?.kind === 'log' && parsed.fileNumber < manifest.logNumber);
    if (stray) {
      await fs.promises.rm(path.join(dir, name), { force: true });
      continue;
    }
    if (!parsed) continue;
    highestFileNumber = Math.max(highestFileNumber, parsed.fileNumber);
    if (parsed.kind === 'log') segments.push(parsed.fileNumber);
  }
  return { segments: segments.sort((a, b) => a - b), highestFileNumber };
}

/** Opens every live SSTable once, checking it is there, whole, and what the manifest says. */
function openTables(dir: string, manifest: ManifestState, tables: TableCache): LiveFile[][] {
  const levels: LiveFile[][] = Array.from({ length: LEVEL_COUNT }, () => []);
  for (const meta of manifest.files) {
    const file = new LiveFile(meta, tablePath(dir, meta.fileNumber));
    let size: number;
    try {
      size = fs.statSync(file.path).size;
    } catch {
      throw new CorruptionError('SSTable listed in the manifest is missing', file.path, 0);
    }
    if (size !== meta.bytes) {
      throw new CorruptionError(
        `SSTable is ${size} bytes, the manifest says ${meta.bytes}`,
        file.path,
        Math.min(size, meta.bytes),
      );
    }
    tables.reader(file);
    levels[meta.level]!.push(file);
  }
  return levels;
}
