import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RingLayout } from '@pairdb/hashring';
import { CorruptLayoutFileError } from '../../src/fencing/errors';
import {
  decodeLayout,
  encodeLayout,
  LAYOUT_FILE,
  LAYOUT_TEMP_FILE,
  readLayoutFile,
  writeLayoutFile,
} from '../../src/fencing/layout-file';

const layout: RingLayout = {
  ringVersion: 2n ** 64n - 3n,
  members: [
    { nodeId: 'node-1', host: '127.0.0.1', port: 50053, virtualNodes: 150, state: 'active' },
    { nodeId: 'nöde-2', host: 'db-2.example', port: 1, virtualNodes: 4096, state: 'draining' },
    { nodeId: 'node-3', host: '::1', port: 65535, virtualNodes: 1, state: 'inactive' },
  ],
  change: {
    migrationId: 'mig-7',
    type: 'node_deletion',
    nodeId: 'nöde-2',
    tenantId: null,
    fromReplicationFactor: null,
    toReplicationFactor: null,
    phase: 'data_copy',
  },
  replicationFactors: new Map([
    ['default', 3],
    ['acme', 1],
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

describe('layout file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairdb-layout-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts with its magic, format version and body length, and ends with the CRC', () => {
    const bytes = encodeLayout(layout);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('PAIRDBLY');
    expect(bytes.readUInt32LE(8)).toBe(1);
    expect(bytes.readUInt32LE(12)).toBe(bytes.length - 16 - 4);
    expect(bytes.readBigUInt64LE(16)).toBe(layout.ringVersion);
    expect(bytes.readUInt16LE(24)).toBe(3);
  });

  it('round-trips members, a node change and every tenant', () => {
    expect(decodeLayout(encodeLayout(layout), 'LAYOUT')).toEqual(layout);
  });

  it('round-trips a factor change and a layout where nothing moves', () => {
    const factorChange: RingLayout = {
      ...layout,
      change: {
        ...layout.change!,
        type: 'replication_factor_change',
        nodeId: '',
        tenantId: 'acme',
        fromReplicationFactor: 1,
        toReplicationFactor: 3,
      },
    };
    expect(decodeLayout(encodeLayout(factorChange), 'LAYOUT')).toEqual(factorChange);
    const still = { ...layout, change: null };
    expect(decodeLayout(encodeLayout(still), 'LAYOUT')).toEqual(still);
  });

  it('a flipped bit anywhere is a CorruptLayoutFileError naming the file', () => {
    const bytes = encodeLayout(layout);
    for (let offset = 0; offset < bytes.length; offset++) {
      const damaged = Buffer.from(bytes);
      damaged[offset]! ^= 0x10;
      const error = caught(() => decodeLayout(damaged, '/data/LAYOUT'));
      expect(error).toBeInstanceOf(CorruptLayoutFileError);
      expect((error as Error).message).toContain('/data/LAYOUT');
    }
  });

  it('a truncated file or trailing bytes are corruption', () => {
    const bytes = encodeLayout(layout);
    for (const damaged of [
      bytes.subarray(0, bytes.length - 1),
      Buffer.concat([bytes, Buffer.of(0)]),
    ]) {
      expect(caught(() => decodeLayout(damaged, 'LAYOUT'))).toBeInstanceOf(CorruptLayoutFileError);
    }
  });

  it('a missing file is a node never given a layout', () => {
    expect(readLayoutFile(dir)).toBeUndefined();
  });

  it('a write is read back whole, replaces the last one and leaves no temp file', async () => {
    await writeLayoutFile(dir, { ...layout, ringVersion: 1n });
    await writeLayoutFile(dir, layout);
    expect(readLayoutFile(dir)).toEqual(layout);
    expect(fs.readdirSync(dir)).toEqual([LAYOUT_FILE]);
  });

  it('a damaged file on disk fails the read, naming the file and offset', async () => {
    await writeLayoutFile(dir, layout);
    const file = path.join(dir, LAYOUT_FILE);
    const bytes = fs.readFileSync(file);
    bytes[20]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(() => readLayoutFile(dir)).toThrow(
      new RegExp(`layout file ${file.replace(/[/.]/g, '\\$&')} is damaged: CRC mismatch`),
    );
  });

  it('a leftover temp file from a crash mid-write is ignored', async () => {
    await writeLayoutFile(dir, layout);
    fs.writeFileSync(path.join(dir, LAYOUT_TEMP_FILE), 'half a layout');
    expect(readLayoutFile(dir)).toEqual(layout);
  });
});
