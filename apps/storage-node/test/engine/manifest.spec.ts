import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CorruptionError } from '../../src/engine/errors';
import {
  ManifestState,
  decodeManifest,
  encodeManifest,
  readManifest,
  writeManifest,
} from '../../src/engine/manifest';

const state: ManifestState = {
  nextFileNumber: 42,
  lastSeq: 2 ** 40 + 7,
  logNumber: 39,
  files: [
    {
      fileNumber: 12,
      level: 0,
      bytes: 4096,
      entryCount: 10,
      smallestKey: Buffer.from('apple'),
      largestKey: Buffer.from('pear'),
      minSeq: 1,
      maxSeq: 10,
      tombstoneCount: 2,
    },
    {
      fileNumber: 30,
      level: 4,
      bytes: 123_456_789,
      entryCount: 1_000_000,
      smallestKey: Buffer.from([0]),
      largestKey: Buffer.from([0xff, 0xff]),
      minSeq: 11,
      maxSeq: Number.MAX_SAFE_INTEGER,
      tombstoneCount: 0,
    },
  ],
};

describe('manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairdb-manifest-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips every field, including seqs up to 2^53 - 1', () => {
    expect(decodeManifest(encodeManifest(state), 'MANIFEST')).toEqual(state);
  });

  it('a flipped byte anywhere is reported as corruption with file and offset', () => {
    const bytes = encodeManifest(state);
    for (let offset = 0; offset < bytes.length; offset++) {
      const damaged = Buffer.from(bytes);
      damaged[offset] ^= 0x01;
      let caught: unknown;
      try {
        decodeManifest(damaged, '/data/MANIFEST');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CorruptionError);
      expect((caught as CorruptionError).file).toBe('/data/MANIFEST');
      expect((caught as CorruptionError).offset).toBeGreaterThanOrEqual(0);
      expect((caught as CorruptionError).offset).toBeLessThan(bytes.length);
    }
  });

  it('a CRC mismatch is reported at the offset of the stored CRC', () => {
    const bytes = encodeManifest(state);
    bytes[40] ^= 0x10;
    expect(() => decodeManifest(bytes, 'M')).toThrow(CorruptionError);
    try {
      decodeManifest(bytes, 'M');
    } catch (error) {
      expect((error as CorruptionError).offset).toBe(bytes.length - 4);
    }
  });

  it('a truncated or extended file is corruption, not a shorter manifest', () => {
    const bytes = encodeManifest(state);
    expect(() => decodeManifest(bytes.subarray(0, bytes.length - 1), 'M')).toThrow(CorruptionError);
    expect(() => decodeManifest(Buffer.concat([bytes, Buffer.alloc(1)]), 'M')).toThrow(
      CorruptionError,
    );
  });

  it('writeManifest replaces the file atomically and leaves no temp file behind', async () => {
    await writeManifest(dir, state);
    await writeManifest(dir, { ...state, nextFileNumber: 43, files: [] });
    expect(readManifest(dir)).toEqual({ ...state, nextFileNumber: 43, files: [] });
    expect(fs.readdirSync(dir)).toEqual(['MANIFEST']);
  });

  it('a directory without a manifest reads as undefined', () => {
    expect(readManifest(dir)).toBeUndefined();
  });
});
