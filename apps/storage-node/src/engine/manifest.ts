/**
 * Manifest: the set of live SSTables per level and the commit-log position, rewritten whole and
 * replaced atomically (write MANIFEST.tmp, fsync it, rename over MANIFEST, fsync the directory)
 * after every flush and compaction. A reader sees the old or the new manifest, never a mix.
 *
 * Byte grammar of `MANIFEST` (integers little-endian):
 *
 *   manifest = magic:"PAIRDBMF" formatVersion:u32 bodyLength:u32 body:byte{bodyLength} crc32:u32
 *   body     = nextFileNumber:u64 lastSeq:u64 logNumber:u64 fileCount:u32 file{fileCount}
 *   file     = level:u8 fileNumber:u64 bytes:u64 entryCount:u64 minSeq:u64 maxSeq:u64
 *              tombstoneCount:u64 smallestKeyLength:u32 smallestKey largestKeyLength:u32 largestKey
 *
 * - formatVersion is 1; crc32 is CRC-32 (ISO-HDLC) of `formatVersion bodyLength body`;
 * - nextFileNumber: every commit-log segment and SSTable on disk has a smaller number, except
 *   files created after this manifest was written (recovery removes unlisted SSTables and keeps
 *   segments at or above logNumber);
 * - lastSeq: highest sequence number stored in any SSTable;
 * - logNumber: the oldest commit-log segment whose records are not all in SSTables; recovery
 *   replays segments >= logNumber and deletes older ones;
 * - level is 0..LEVEL_COUNT-1; files of levels >= 1 do not overlap within their level;
 * - nothing follows the crc: trailing bytes are corruption.
 */
import path from 'node:path';
import { crc32 } from './crc32';
import { readFileIfPresent, replaceFileDurably } from './durable-file';
import { CorruptionError } from './errors';
import { MANIFEST_FILE, MANIFEST_TEMP_FILE } from './file-names';
import { readUint64, writeUint64 } from './uint64';

export const MANIFEST_MAGIC = Buffer.from('PAIRDBMF', 'latin1');
export const MANIFEST_FORMAT_VERSION = 1;
/** L0..L4: with L1 at 10 MiB and x10 per level, L4 holds ~10 GiB by default, plenty per node. */
export const LEVEL_COUNT = 5;

const PREFIX_BYTES = 16;
const CRC_BYTES = 4;
const BODY_FIXED_BYTES = 28;
const FILE_FIXED_BYTES = 1 + 6 * 8 + 4 + 4;

/** One live SSTable as the manifest records it. */
export interface TableFile {
  fileNumber: number;
  level: number;
  bytes: number;
  entryCount: number;
  smallestKey: Buffer;
  largestKey: Buffer;
  minSeq: number;
  maxSeq: number;
  tombstoneCount: number;
}

export interface ManifestState {
  nextFileNumber: number;
  lastSeq: number;
  logNumber: number;
  files: TableFile[];
}

export function encodeManifest(state: ManifestState): Buffer {
  let bodyLength = BODY_FIXED_BYTES;
  for (const file of state.files) {
    bodyLength += FILE_FIXED_BYTES + file.smallestKey.length + file.largestKey.length;
  }
  const target = Buffer.alloc(PREFIX_BYTES + bodyLength + CRC_BYTES);
  MANIFEST_MAGIC.copy(target, 0);
  target.writeUInt32LE(MANIFEST_FORMAT_VERSION, 8);
  target.writeUInt32LE(bodyLength, 12);
  let offset = writeUint64(target, state.nextFileNumber, PREFIX_BYTES);
  offset = writeUint64(target, state.lastSeq, offset);
  offset = writeUint64(target, state.logNumber, offset);
  offset = target.writeUInt32LE(state.files.length, offset);
  for (const file of state.files) {
    if (!Number.isInteger(file.level) || file.level < 0 || file.level >= LEVEL_COUNT) {
      throw new RangeError(`manifest: level ${file.level} out of range`);
    }
    offset = target.writeUInt8(file.level, offset);
    for (const value of [
      file.fileNumber,
      file.bytes,
      file.entryCount,
      file.minSeq,
      file.maxSeq,
      file.tombstoneCount,
    ]) {
      offset = writeUint64(target, value, offset);
    }
    offset = target.writeUInt32LE(file.smallestKey.length, offset);
    offset += file.smallestKey.copy(target, offset);
    offset = target.writeUInt32LE(file.largestKey.length, offset);
    offset += file.largestKey.copy(target, offset);
  }
  target.writeUInt32LE(crc32(target.subarray(8, offset)), offset);
  return target;
}

/** Decodes and checks a manifest; any damage is a CorruptionError naming `file` and the offset. */
export function decodeManifest(bytes: Buffer, file: string): ManifestState {
  const fail = (what: string, offset: number): never => {
    throw new CorruptionError(`manifest: ${what}`, file, offset);
  };
  if (bytes.length < PREFIX_BYTES + BODY_FIXED_BYTES + CRC_BYTES) fail('file too short', 0);
  if (!bytes.subarray(0, 8).equals(MANIFEST_MAGIC)) fail('bad magic', 0);
  const version = bytes.readUInt32LE(8);
  if (version !== MANIFEST_FORMAT_VERSION) fail(`unknown format version ${version}`, 8);
  const bodyLength = bytes.readUInt32LE(12);
  const crcOffset = PREFIX_BYTES + bodyLength;
  if (crcOffset + CRC_BYTES !== bytes.length) fail(`body length ${bodyLength} mismatch`, 12);
  const stored = bytes.readUInt32LE(crcOffset);
  if (stored !== crc32(bytes.subarray(8, crcOffset))) fail('CRC mismatch', crcOffset);
  // The CRC matched, so what follows only fails on a writer bug; still never trust it blindly.
  const u64 = (offset: number): number =>
    readUint64(bytes, offset) ?? fail('integer beyond 2^53', offset);
  let offset = PREFIX_BYTES;
  const state: ManifestState = {
    nextFileNumber: u64(offset),
    lastSeq: u64(offset + 8),
    logNumber: u64(offset + 16),
    files: [],
  };
  const fileCount = bytes.readUInt32LE(offset + 24);
  offset += BODY_FIXED_BYTES;
  for (let index = 0; index < fileCount; index++) {
    if (crcOffset - offset < FILE_FIXED_BYTES) fail('file record truncated', offset);
    const level = bytes.readUInt8(offset);
    if (level >= LEVEL_COUNT) fail(`level ${level} out of range`, offset);
    const numbers = [0, 1, 2, 3, 4, 5].map((field) => u64(offset + 1 + field * 8));
    offset += 1 + 6 * 8;
    const smallestKey = readKey(bytes, offset, crcOffset, fail);
    offset += 4 + smallestKey.length;
    const largestKey = readKey(bytes, offset, crcOffset, fail);
    offset += 4 + largestKey.length;
    state.files.push({
      level,
      fileNumber: numbers[0]!,
      bytes: numbers[1]!,
      entryCount: numbers[2]!,
      minSeq: numbers[3]!,
      maxSeq: numbers[4]!,
      tombstoneCount: numbers[5]!,
      smallestKey,
      largestKey,
    });
  }
  if (offset !== crcOffset) fail(`${crcOffset - offset} trailing body bytes`, offset);
  return state;
}

function readKey(
  bytes: Buffer,
  offset: number,
  end: number,
  fail: (what: string, offset: number) => never,
): Buffer {
  if (end - offset < 4) fail('key length truncated', offset);
  const length = bytes.readUInt32LE(offset);
  if (end - offset - 4 < length) fail('key truncated', offset);
  return Buffer.from(bytes.subarray(offset + 4, offset + 4 + length));
}

/** The manifest of `dir`, or undefined when there is none (a new data directory). */
export function readManifest(dir: string): ManifestState | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  const bytes = readFileIfPresent(file);
  return bytes === undefined ? undefined : decodeManifest(bytes, file);
}

/** Atomically replaces the manifest of `dir` with `state`; durable when the promise resolves. */
export async function writeManifest(dir: string, state: ManifestState): Promise<number> {
  const bytes = encodeManifest(state);
  await replaceFileDurably(dir, MANIFEST_FILE, MANIFEST_TEMP_FILE, bytes);
  return bytes.length;
}
