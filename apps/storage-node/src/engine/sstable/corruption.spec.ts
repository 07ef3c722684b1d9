import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as CRC32 from 'crc-32';
import { Entry, EntryKind } from '../entry';
import { CorruptionError } from '../errors';
import { SSTableReader, SSTableWriter } from './index';
import {
  BLOCK_TRAILER_BYTES,
  FOOTER_BYTES,
  FOOTER_CRC_COVERED_BYTES,
  FOOTER_CRC_OFFSET,
  FOOTER_MAGIC_OFFSET,
  FOOTER_VERSION_OFFSET,
  readUint64,
} from './writer';

let directory: string;
let pristine: string;
let entries: Entry[];
let pristineBytes: Buffer;

interface Region {
  offset: number;
  /** Bytes including the trailer. */
  length: number;
}

let dataBlocks: Region[];
let indexBlock: Region;
let bloomBlock: Region;
let propertiesBlock: Region;
let footer: Region;

beforeAll(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'pairdb-sstable-corruption-'));
  pristine = path.join(directory, 'pristine.sst');
  entries = [];
  for (let index = 0; index < 600; index++) {
    const key = Buffer.from(`key-${index.toString().padStart(6, '0')}`);
    entries.push({
      key,
      seq: index + 1,
      kind: EntryKind.Put,
      value: Buffer.from(`value-${index}`),
    });
  }
  const writer = new SSTableWriter(pristine, { blockBytes: 1024 });
  for (const entry of entries) writer.add(entry);
  writer.finish();
  pristineBytes = fs.readFileSync(pristine);

  const reader = SSTableReader.open(pristine, { fileNumber: 1 });
  dataBlocks = Array.from({ length: reader.blockCount }, (_, index) => {
    const extent = reader.dataBlockExtent(index);
    return { offset: extent.offset, length: extent.length + BLOCK_TRAILER_BYTES };
  });
  reader.close();
  const footerOffset = pristineBytes.length - FOOTER_BYTES;
  const handle = (at: number): Region => ({
    offset: readUint64(pristineBytes, footerOffset + at),
    length: pristineBytes.readUInt32BE(footerOffset + at + 8) + BLOCK_TRAILER_BYTES,
  });
  indexBlock = handle(0);
  bloomBlock = handle(12);
  propertiesBlock = handle(24);
  footer = { offset: footerOffset, length: FOOTER_BYTES };
});

afterAll(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

let copyCounter = 0;

/** A copy of the pristine table with `edit` applied to its bytes. */
function damagedCopy(edit: (bytes: Buffer) => Buffer): string {
  const file = path.join(directory, `damaged-${++copyCounter}.sst`);
  fs.writeFileSync(file, edit(Buffer.from(pristineBytes)));
  return file;
}

function flipByte(position: number): string {
  return damagedCopy((bytes) => {
    bytes[position] ^= 0x5a;
    return bytes;
  });
}

function expectCorruption(action: () => unknown, file: string, region: Region): CorruptionError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CorruptionError);
  const corruption = caught as CorruptionError;
  expect(corruption.file).toBe(file);
  expect(corruption.offset).toBeGreaterThanOrEqual(region.offset);
  expect(corruption.offset).toBeLessThan(region.offset + region.length);
  return corruption;
}

/** Sample positions across a region: its edges and a stride through the middle. */
function positionsIn(region: Region, stride: number): number[] {
  const positions = new Set([region.offset, region.offset + region.length - 1]);
  for (let at = region.offset; at < region.offset + region.length; at += stride) positions.add(at);
  return [...positions];
}

describe('SSTable corruption', () => {
  it('the pristine table has several data blocks and reads back whole', () => {
    expect(dataBlocks.length).toBeGreaterThan(5);
    const reader = SSTableReader.open(pristine, { fileNumber: 1 });
    expect([...reader.entries()]).toHaveLength(entries.length);
    reader.close();
  });

  it('a flipped byte in a data block fails reads of that block, and never returns a wrong value', () => {
    const damagedBlock = dataBlocks[2];
    for (const position of positionsIn(damagedBlock, 97)) {
      const file = flipByte(position);
      const reader = SSTableReader.open(file, { fileNumber: 1 });
      let failures = 0;
      for (const entry of entries) {
        try {
          const found = reader.get(entry.key);
          expect(found?.value.toString()).toBe(entry.value.toString());
          expect(found?.seq).toBe(entry.seq);
        } catch (error) {
          expectCorruption(
            () => {
              throw error;
            },
            file,
            damagedBlock,
          );
          failures++;
        }
      }
      expect(failures).toBeGreaterThan(0);
      expectCorruption(() => [...reader.entries()], file, damagedBlock);
      // A bulk scan reads many blocks in one piece: the damaged one is still named.
      expectCorruption(() => [...reader.entries({ fillCache: false })], file, damagedBlock);
      reader.close();
    }
  });

  it('a flipped byte in the index block fails open with the index offset', () => {
    for (const position of positionsIn(indexBlock, 7)) {
      const file = flipByte(position);
      expectCorruption(() => SSTableReader.open(file, { fileNumber: 1 }), file, indexBlock);
    }
  });

  it('a flipped byte in the bloom block fails open with the bloom offset', () => {
    for (const position of positionsIn(bloomBlock, 31)) {
      const file = flipByte(position);
      expectCorruption(() => SSTableReader.open(file, { fileNumber: 1 }), file, bloomBlock);
    }
  });

  it('a flipped byte in the properties block fails open with its offset', () => {
    for (const position of positionsIn(propertiesBlock, 3)) {
      const file = flipByte(position);
      expectCorruption(() => SSTableReader.open(file, { fileNumber: 1 }), file, propertiesBlock);
    }
  });

  it('a flipped byte anywhere in the footer fails open with an offset inside the footer', () => {
    for (const position of positionsIn(footer, 1)) {
      const file = flipByte(position);
      expectCorruption(() => SSTableReader.open(file, { fileNumber: 1 }), file, footer);
    }
  });

  it('a truncated file fails open, wherever it was cut', () => {
    const cuts = [
      0,
      1,
      FOOTER_BYTES - 1,
      pristineBytes.length - 1,
      pristineBytes.length - FOOTER_BYTES,
    ];
    cuts.push(Math.floor(pristineBytes.length / 2), indexBlock.offset, bloomBlock.offset + 3);
    for (const length of cuts) {
      const file = damagedCopy((bytes) => bytes.subarray(0, length));
      const error = expectCorruption(() => SSTableReader.open(file, { fileNumber: 1 }), file, {
        offset: 0,
        length: length + 1,
      });
      expect(error.message).toMatch(/truncated/);
    }
  });

  it('bad magic is reported at the magic field', () => {
    const file = damagedCopy((bytes) => {
      bytes.write('NOTSSTBL', footer.offset + FOOTER_MAGIC_OFFSET, 'latin1');
      return bytes;
    });
    const error = expectCorruption(() => SSTableReader.open(file, { fileNumber: 1 }), file, footer);
    expect(error.offset).toBe(footer.offset + FOOTER_MAGIC_OFFSET);
    expect(error.message).toMatch(/bad magic/);
  });

  it.each([0, 2, 0xffffffff])(
    'unknown format version %i with a valid footer CRC is refused',
    (version) => {
      const file = damagedCopy((bytes) => {
        bytes.writeUInt32BE(version, footer.offset + FOOTER_VERSION_OFFSET);
        const covered = bytes.subarray(footer.offset, footer.offset + FOOTER_CRC_COVERED_BYTES);
        bytes.writeUInt32BE(CRC32.buf(covered) >>> 0, footer.offset + FOOTER_CRC_OFFSET);
        return bytes;
      });
      const error = expectCorruption(
        () => SSTableReader.open(file, { fileNumber: 1 }),
        file,
        footer,
      );
      expect(error.offset).toBe(footer.offset + FOOTER_VERSION_OFFSET);
      expect(error.message).toMatch(new RegExp(`unknown SSTable format version ${version}`));
    },
  );

  it('a valid data block copied over another of the same length fails, its CRC being bound to its offset', () => {
    const target = dataBlocks.findIndex(
      (block, index) => index > 0 && block.length === dataBlocks[index - 1].length,
    );
    expect(target).toBeGreaterThan(0);
    const [source, damaged] = [dataBlocks[target - 1], dataBlocks[target]];
    const file = damagedCopy((bytes) => {
      pristineBytes.copy(bytes, damaged.offset, source.offset, source.offset + source.length);
      return bytes;
    });
    const reader = SSTableReader.open(file, { fileNumber: 1 });
    let failures = 0;
    for (const entry of entries) {
      try {
        expect(reader.get(entry.key)?.value.toString()).toBe(entry.value.toString());
      } catch (error) {
        expectCorruption(
          () => {
            throw error;
          },
          file,
          damaged,
        );
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
    expectCorruption(() => [...reader.entries()], file, damaged);
    reader.close();
  });
});
