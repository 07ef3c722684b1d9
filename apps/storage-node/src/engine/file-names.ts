/**
 * Layout of an engine data directory:
 *
 *   LOCK            pid of the process that owns the directory (dir-lock.ts)
 *   MANIFEST        live SSTables per level and log position (manifest.ts)
 *   MANIFEST.tmp    a manifest being written; never read, removed at open
 *   NNNNNN.log      commit-log segment number N (commit-log.ts)
 *   NNNNNN.sst      SSTable file number N (sstable/writer.ts)
 *
 * Segments and SSTables share one increasing file-number space, kept in the manifest.
 */
import path from 'node:path';

/** Zero-padding of file numbers in names, so a directory listing sorts by number. */
const FILE_NUMBER_DIGITS = 6;

export const LOCK_FILE = 'LOCK';
export const MANIFEST_FILE = 'MANIFEST';
export const MANIFEST_TEMP_FILE = 'MANIFEST.tmp';

export type NumberedFileKind = 'log' | 'sst';

export function numberedFileName(fileNumber: number, kind: NumberedFileKind): string {
  return `${String(fileNumber).padStart(FILE_NUMBER_DIGITS, '0')}.${kind}`;
}

export function segmentPath(dir: string, fileNumber: number): string {
  return path.join(dir, numberedFileName(fileNumber, 'log'));
}

export function tablePath(dir: string, fileNumber: number): string {
  return path.join(dir, numberedFileName(fileNumber, 'sst'));
}

/** Parses `NNNNNN.log` / `NNNNNN.sst`; undefined for any other name. */
export function parseNumberedFileName(
  name: string,
): { fileNumber: number; kind: NumberedFileKind } | undefined {
  const match = /^(\d+)\.(log|sst)$/.exec(name);
  if (!match) return undefined;
  const fileNumber = Number(match[1]);
  if (!Number.isSafeInteger(fileNumber)) return undefined;
  return { fileNumber, kind: match[2] as NumberedFileKind };
}
