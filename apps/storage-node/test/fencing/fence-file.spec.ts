import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { CorruptFenceFileError } from '../../src/fencing/errors';
import {
  decodeFence,
  encodeFence,
  FENCE_FILE,
  FENCE_TEMP_FILE,
  readFenceFile,
  writeFenceFile,
  type FenceState,
} from '../../src/fencing/fence-file';

const state: FenceState = {
  minRingVersion: 2n ** 64n - 2n,
  epochs: new Map([
    ['mig-a', 3n],
    ['mig-é', 2n ** 63n],
  ]),
};

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('fence file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairdb-fence-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lays out the bytes its grammar states', () => {
    const one: FenceState = { minRingVersion: 5n, epochs: new Map([['m', 7n]]) };
    const body = Buffer.concat([
      Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), // minRingVersion u64 LE
      Buffer.from([1, 0]), // migrationCount u16 LE
      Buffer.from([1]), // idLength
      Buffer.from('m'),
      Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]), // epoch
    ]);
    const versioned = Buffer.concat([
      Buffer.from([1, 0, 0, 0]),
      Buffer.from([body.length, 0, 0, 0]),
      body,
    ]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(zlib.crc32(versioned));
    expect(encodeFence(one)).toEqual(Buffer.concat([Buffer.from('PAIRDBFN'), versioned, crc]));
  });

  it('round-trips the minimum and every migration in order, up to 2^64 - 1', () => {
    const decoded = decodeFence(encodeFence(state), FENCE_FILE);
    expect(decoded.minRingVersion).toBe(state.minRingVersion);
    expect([...decoded.epochs]).toEqual([...state.epochs]);
  });

  it('a flipped bit anywhere is a CorruptFenceFileError naming the file', () => {
    const bytes = encodeFence(state);
    for (let offset = 0; offset < bytes.length; offset++) {
      const damaged = Buffer.from(bytes);
      damaged[offset] ^= 0x01;
      const error = caught(() => decodeFence(damaged, '/data/FENCE'));
      expect(error).toBeInstanceOf(CorruptFenceFileError);
      expect((error as Error).message).toContain('fence file /data/FENCE is damaged');
    }
  });

  it('a truncated file or trailing bytes are corruption, never a smaller fence', () => {
    const bytes = encodeFence(state);
    for (const damaged of [
      bytes.subarray(0, 0),
      bytes.subarray(0, 10),
      bytes.subarray(0, bytes.length - 1),
      Buffer.concat([bytes, Buffer.from([0])]),
    ]) {
      expect(caught(() => decodeFence(damaged, FENCE_FILE))).toBeInstanceOf(CorruptFenceFileError);
    }
  });

  it('a missing file is a node never raised: minimum 0, no migrations', () => {
    const read = readFenceFile(dir);
    expect(read.minRingVersion).toBe(0n);
    expect(read.epochs.size).toBe(0);
  });

  it('a write replaces the file whole and leaves no temp file', async () => {
    await writeFenceFile(dir, { minRingVersion: 1n, epochs: new Map() });
    await writeFenceFile(dir, state);
    expect(readFenceFile(dir).minRingVersion).toBe(state.minRingVersion);
    expect(fs.readdirSync(dir)).toEqual([FENCE_FILE]);
  });

  it('a leftover temp file from a crash mid-write is ignored', async () => {
    await writeFenceFile(dir, { minRingVersion: 4n, epochs: new Map() });
    fs.writeFileSync(path.join(dir, FENCE_TEMP_FILE), 'half a fence');
    expect(readFenceFile(dir).minRingVersion).toBe(4n);
  });
});
