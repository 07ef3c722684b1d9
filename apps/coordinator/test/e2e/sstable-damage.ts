// Finds the data blocks of a real SSTable from its footer and index (docs/format/sstable.md) and
// damages one, as a failing disk would: for tests that corrupt real bytes on a storage node.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const FOOTER_BYTES = 52;
const MAGIC = 'PAIRDBST';
const MAGIC_OFFSET_IN_FOOTER = 44;

export interface DataBlock {
  /** File offset of the block's payload. */
  readonly offset: number;
  /** Payload bytes (the 5-byte trailer follows). */
  readonly length: number;
}

/** Every `.sst` file under `dir`, at any depth. */
export function sstableFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.sst'))
    .map((name) => path.join(dir, name));
}

function readU64(bytes: Buffer, at: number): number {
  return bytes.readUInt32BE(at) * 2 ** 32 + bytes.readUInt32BE(at + 4);
}

/** The data blocks listed by the file's index block, in file order. */
export function dataBlocks(file: string): DataBlock[] {
  const bytes = readFileSync(file);
  const footer = bytes.length - FOOTER_BYTES;
  const magic = bytes.toString('latin1', footer + MAGIC_OFFSET_IN_FOOTER, bytes.length);
  if (magic !== MAGIC) throw new Error(`${file} is not an SSTable (magic ${magic})`);
  let at = readU64(bytes, footer);
  const count = bytes.readUInt32BE(at);
  at += 4;
  const blocks: DataBlock[] = [];
  for (let index = 0; index < count; index++) {
    let keyLength = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!;
      keyLength |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    at += keyLength + 8; // last key, last seq
    blocks.push({ offset: readU64(bytes, at), length: bytes.readUInt32BE(at + 8) });
    at += 12;
  }
  return blocks;
}

/** Inverts one byte in the middle of `block`'s payload; returns the file offset damaged. */
export function flipByteIn(file: string, block: DataBlock): number {
  const bytes = readFileSync(file);
  const offset = block.offset + Math.floor(block.length / 2);
  bytes[offset] = bytes[offset]! ^ 0xff;
  writeFileSync(file, bytes);
  return offset;
}
