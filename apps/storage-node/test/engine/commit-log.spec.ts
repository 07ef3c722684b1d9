import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CommitLog,
  RECORD_HEADER_BYTES,
  RecordType,
  SEGMENT_HEADER_BYTES,
  SyncPolicy,
  frameRecord,
  recoverCommitLog,
} from '../../src/engine/commit-log';
import { Entry, EntryKind } from '../../src/engine/entry';
import { CorruptionError } from '../../src/engine/errors';
import { segmentPath } from '../../src/engine/file-names';
import { encodeWriteBatch } from '../../src/engine/write-batch';

const quietLogger = { warn: () => undefined };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairdb-commit-log-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function record(seq: number, key: string, value: string): Buffer {
  const { bytes } = encodeWriteBatch(
    seq,
    [{ kind: EntryKind.Put, key: Buffer.from(key), value: Buffer.from(value) }],
    RECORD_HEADER_BYTES,
  );
  return frameRecord(bytes, RecordType.WriteBatch);
}

function openLog(segment: number, policy: SyncPolicy = 'always', existing: number[] = []) {
  const failures: Error[] = [];
  const log = new CommitLog(
    { dir, syncPolicy: policy, syncIntervalMs: 5 },
    segment,
    existing,
    (e) => failures.push(e),
  );
  return { log, failures };
}

/** Writes `count` single-put records (seq 1..count) to segment 1 and closes the log. */
async function writeSegment(count: number): Promise<number[]> {
  const { log } = openLog(1, 'none');
  const offsets: number[] = [];
  let offset = SEGMENT_HEADER_BYTES;
  for (let seq = 1; seq <= count; seq++) {
    const framed = record(seq, `key-${seq}`, `value-${seq}`);
    offsets.push(offset);
    offset += framed.length;
    void log.append(framed);
  }
  await log.close();
  return offsets;
}

function replay(segments: number[]): {
  entries: Entry[];
  result: ReturnType<typeof recoverCommitLog>;
} {
  const entries: Entry[] = [];
  const result = recoverCommitLog(dir, segments, (batch) => entries.push(...batch), quietLogger);
  return { entries, result };
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

describe('commit log group commit', () => {
  it('appends submitted in one event-loop turn share a single fsync under always', async () => {
    const { log } = openLog(1);
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(record(i + 1, 'k', 'v'))));
    expect(log.fsyncs).toBe(1);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(record(i + 201, 'k', 'v'))));
    expect(log.fsyncs).toBe(2);
    await log.close();
  });

  it('writers over many turns never cost more than one fsync per turn', async () => {
    const { log } = openLog(1);
    const writes: Promise<void>[] = [];
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 10; i++) writes.push(log.append(record(turn * 10 + i + 1, 'k', 'v')));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    expect(log.fsyncs).toBeLessThanOrEqual(20);
    expect(log.fsyncs).toBeGreaterThanOrEqual(1);
    await log.close();
  });

  it('a turn written by the OS in pieces of a few bytes still lands whole and in order', async () => {
    const writev = fs.writevSync;
    // At most 7 bytes per call, cutting records and headers anywhere.
    const spy = jest
      .spyOn(fs, 'writevSync')
      .mockImplementation((fd, buffers, position) =>
        writev(fd, [Buffer.concat(buffers as Buffer[]).subarray(0, 7)], position),
      );
    try {
      const { log } = openLog(1);
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => log.append(record(i + 1, `key-${i}`, 'v'.repeat(i)))),
      );
      expect(spy.mock.calls.length).toBeGreaterThan(30);
      await log.close();
    } finally {
      spy.mockRestore();
    }
    const { entries } = replay([1]);
    expect(entries.map((entry) => `${entry.seq}:${entry.key}:${entry.value.length}`)).toEqual(
      Array.from({ length: 30 }, (_, i) => `${i + 1}:key-${i}:${i}`),
    );
  });

  it('an acknowledged append under always is readable from the file before close', async () => {
    const { log } = openLog(1);
    await log.append(record(1, 'durable', 'yes'));
    const { entries } = replay([1]);
    expect(entries.map((entry) => entry.key.toString())).toEqual(['durable']);
    await log.close();
  });

  it('rotation puts earlier appends in the old segment and later ones in the new', async () => {
    const { log } = openLog(1);
    const first = log.append(record(1, 'old', 'v'));
    log.rotate(2);
    const second = log.append(record(2, 'new', 'v'));
    await Promise.all([first, second]);
    await log.close();
    expect(replay([1]).entries.map((e) => e.key.toString())).toEqual(['old']);
    expect(replay([2]).entries.map((e) => e.key.toString())).toEqual(['new']);
  });

  it.each<SyncPolicy>(['interval', 'none'])('policy %s acknowledges after the write', async (p) => {
    const { log } = openLog(1, p);
    await log.append(record(1, 'k', 'v'));
    expect(replay([1]).entries).toHaveLength(1);
    await log.close();
  });

  it('policy interval fsyncs in the background without a caller asking', async () => {
    const { log } = openLog(1, 'interval');
    await log.append(record(1, 'k', 'v'));
    const deadline = Date.now() + 2000;
    while (log.fsyncs === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(log.fsyncs).toBeGreaterThanOrEqual(1);
    await log.close();
  });

  it('appends after close are refused', async () => {
    const { log } = openLog(1);
    await log.close();
    await expect(log.append(record(1, 'k', 'v'))).rejects.toThrow('closed');
  });
});

describe('commit log recovery', () => {
  it('replays every record of intact segments in order with their sequence numbers', async () => {
    await writeSegment(50);
    const { entries, result } = replay([1]);
    expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(entries[49]!.value.toString()).toBe('value-50');
    expect(result.lastSeq).toBe(50);
    expect(result.truncated).toBeUndefined();
  });

  it('a torn final record at every cut point recovers exactly the valid prefix', async () => {
    const offsets = await writeSegment(5);
    const file = segmentPath(dir, 1);
    const whole = fs.readFileSync(file);
    for (let cut = offsets[4]! + 1; cut < whole.length; cut++) {
      fs.writeFileSync(file, whole.subarray(0, cut));
      const { entries, result } = replay([1]);
      expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
      expect(result.truncated).toMatchObject({ file, offset: offsets[4] });
      expect(fs.statSync(file).size).toBe(offsets[4]);
    }
  });

  it('a zero-filled tail after the last record is cut off as torn', async () => {
    await writeSegment(3);
    const file = segmentPath(dir, 1);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.alloc(4096));
    const { entries, result } = replay([1]);
    expect(entries).toHaveLength(3);
    expect(result.truncated?.offset).toBe(size);
  });

  it('a CRC mismatch before the tail is reported with file and offset, not skipped', async () => {
    const offsets = await writeSegment(5);
    const file = segmentPath(dir, 1);
    const bytes = fs.readFileSync(file);
    bytes[offsets[1]! + RECORD_HEADER_BYTES + 3] ^= 0x40;
    fs.writeFileSync(file, bytes);
    const error = corruptionOf(() => replay([1]));
    expect(error.file).toBe(file);
    expect(error.offset).toBe(offsets[1]);
    expect(error.message).toContain('CRC mismatch');
    expect(fs.statSync(file).size).toBe(bytes.length);
  });

  it('a damaged length before the tail is corruption though it overruns the file', async () => {
    const offsets = await writeSegment(5);
    const file = segmentPath(dir, 1);
    const bytes = fs.readFileSync(file);
    bytes.writeUInt32LE(1_000_000, offsets[2]! + 4);
    fs.writeFileSync(file, bytes);
    expect(corruptionOf(() => replay([1])).offset).toBe(offsets[2]);
  });

  it('damage at the end of an older segment is corruption, not a torn tail', async () => {
    const offsets = await writeSegment(3);
    const first = segmentPath(dir, 1);
    fs.truncateSync(first, offsets[2]! + 4);
    const { log } = openLog(2, 'none');
    await log.append(record(4, 'k', 'v'));
    await log.close();
    const error = corruptionOf(() => replay([1, 2]));
    expect(error.file).toBe(first);
    expect(error.offset).toBe(offsets[2]);
  });

  it('a bad segment magic is reported at offset 0', async () => {
    await writeSegment(1);
    const file = segmentPath(dir, 1);
    const bytes = fs.readFileSync(file);
    bytes[0] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(corruptionOf(() => replay([1]))).toMatchObject({ file, offset: 0 });
  });

  it('a last segment whose header never reached the disk is removed', async () => {
    await writeSegment(2);
    fs.writeFileSync(segmentPath(dir, 2), Buffer.from('PAIR'));
    const { entries, result } = replay([1, 2]);
    expect(entries).toHaveLength(2);
    expect(result.segments).toEqual([1]);
    expect(fs.existsSync(segmentPath(dir, 2))).toBe(false);
  });

  it('removeSegmentsBefore deletes older segments and keeps the active one', async () => {
    const { log } = openLog(1);
    await log.append(record(1, 'k', 'v'));
    log.rotate(3);
    await log.removeSegmentsBefore(3);
    expect(fs.existsSync(segmentPath(dir, 1))).toBe(false);
    expect(fs.existsSync(segmentPath(dir, 3))).toBe(true);
    await log.close();
  });
});
