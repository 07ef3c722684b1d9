/**
 * Commit log: every write batch is appended here before it is acknowledged, so that the
 * memtable can be rebuilt after a crash. The log is a sequence of segment files; a new segment
 * starts whenever the memtable is frozen, and the segments a memtable covered are deleted once
 * its SSTable and the manifest naming it are durable.
 *
 * Byte grammar of a segment file `NNNNNN.log` (integers little-endian):
 *
 *   segment = header record*
 *   header  = magic:"PAIRDBCL" formatVersion:u32 segmentNumber:u64              (20 bytes)
 *   record  = crc32:u32 length:u32 type:u8 payload:byte{length}
 *
 * - crc32 is CRC-32 (ISO-HDLC, as zlib) of the bytes `length type payload`, so a damaged length
 *   or type is caught as well as a damaged payload;
 * - type 1 is a write batch (write-batch.ts); 0 is reserved; DO NOT CHANGE OR REUSE these values;
 * - formatVersion is 1; segmentNumber repeats the number in the file name;
 * - a record never spans segments; length is at most RECORD_PAYLOAD_BYTES_MAX.
 *
 * Durability (sync policy):
 * - `always`: a write is acknowledged after an fsync covering it. Writes submitted during one
 *   event-loop turn are appended with one write; while one fsync runs, later writes queue for
 *   the next, so concurrent writers share fsyncs (group commit).
 * - `interval`: acknowledged after the write() to the OS; fsync every `syncIntervalMs`.
 * - `none`: acknowledged after the write() to the OS; fsync only when a segment is closed.
 * Under every policy a segment is fsynced before the first byte goes to the next one, so only
 * the last segment can end in a torn record.
 *
 * Recovery (recoverCommitLog) replays every valid record in segment order. A bad record (short,
 * oversized, or CRC mismatch) in the last segment with no valid record after it is a torn tail:
 * the segment is truncated there and recovery goes on. Any other bad record is reported as a
 * CorruptionError with its file and offset; nothing is skipped silently.
 */
import fs from 'node:fs';
import { crc32 } from './crc32';
import { Entry } from './entry';
import { CorruptionError, EngineClosedError } from './errors';
import { segmentPath } from './file-names';
import { readUint64, writeUint64 } from './uint64';
import { decodeWriteBatch } from './write-batch';

export const SEGMENT_MAGIC = Buffer.from('PAIRDBCL', 'latin1');
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 20;
/** crc32:u32 length:u32 type:u8 */
export const RECORD_HEADER_BYTES = 9;
/** A record is read whole into memory at recovery, so it stays well below memory limits. */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;

/** DO NOT CHANGE THESE VALUES: they are stored on disk. 0 is reserved. */
export enum RecordType {
  WriteBatch = 1,
}

export type SyncPolicy = 'always' | 'interval' | 'none';

export interface CommitLogOptions {
  dir: string;
  syncPolicy: SyncPolicy;
  /** Period of background fsyncs under the `interval` policy. */
  syncIntervalMs: number;
  /** Called with the duration of every fsync round (for a latency histogram). */
  onFsync?: (seconds: number) => void;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

interface Segment {
  number: number;
  path: string;
  fd: number;
  bytes: number;
  /** Async fsyncs running on fd; a retired segment's fd is closed when this reaches 0. */
  syncsInFlight: number;
  retired: boolean;
}

/**
 * Fills the record header in the first RECORD_HEADER_BYTES of `record` (which the caller left
 * free, see encodeWriteBatch) for the payload that follows.
 */
export function frameRecord(record: Buffer, type: RecordType): Buffer {
  const length = record.length - RECORD_HEADER_BYTES;
  if (length < 0 || length > RECORD_PAYLOAD_BYTES_MAX) {
    throw new RangeError(`commit-log record payload of ${length} bytes`);
  }
  record.writeUInt32LE(length, 4);
  record.writeUInt8(type, 8);
  record.writeUInt32LE(crc32(record.subarray(4)), 0);
  return record;
}

/** The active segment plus the group-commit machinery. One instance per open engine. */
export class CommitLog {
  private active: Segment;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingWaiters: Waiter[] = [];
  private flushScheduled = false;
  /** Written to the OS, waiting for an fsync (policy `always`). */
  private unsynced: Waiter[] = [];
  private readonly dirty = new Set<Segment>();
  private syncRound: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly segmentsOnDisk: Set<number>;

  fsyncs = 0;
  fsyncSecondsTotal = 0;
  bytesWritten = 0;

  /**
   * Starts a new segment `segmentNumber` for appends. `existingSegments` are older segments
   * still on disk (recovered, not yet flushed), deleted later by removeSegmentsBefore.
   */
  constructor(
    private readonly options: CommitLogOptions,
    segmentNumber: number,
    existingSegments: readonly number[],
    private readonly onFailure: (error: Error) => void,
  ) {
    this.segmentsOnDisk = new Set(existingSegments);
    this.active = this.createSegment(segmentNumber);
    if (options.syncPolicy === 'interval') {
      this.timer = setInterval(() => this.startSyncRound(), options.syncIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Queues a framed record (see frameRecord); resolves once it is durable per the sync policy.
   * Records are written in call order.
   */
  append(record: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new EngineClosedError('commit log is closed'));
    this.pending.push(record);
    this.pendingBytes += record.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.writePending());
    }
    return new Promise<void>((resolve, reject) => this.pendingWaiters.push({ resolve, reject }));
  }

  /**
   * Ends the active segment (writing and fsyncing what it holds) and starts segment
   * `segmentNumber`. Everything appended before the call lands in the old segment.
   */
  rotate(segmentNumber: number): void {
    this.writePending();
    if (this.failure) throw this.failure;
    const old = this.active;
    try {
      this.timedFsyncSync(old.fd);
    } catch (error) {
      this.fail(error as Error);
      throw error;
    }
    // Every byte written so far is in `old` or in segments synced when they were retired.
    this.resolveWaiters(this.unsynced.splice(0));
    this.dirty.delete(old);
    old.retired = true;
    if (old.syncsInFlight === 0) fs.closeSync(old.fd);
    this.active = this.createSegment(segmentNumber);
  }

  /** Writes queued records and waits for an fsync covering everything written so far. */
  async sync(): Promise<void> {
    this.writePending();
    while (this.syncRound) await this.syncRound;
    if (this.failure) throw this.failure;
    if (this.dirty.size === 0) return;
    this.startSyncRound();
    while (this.syncRound) await this.syncRound;
    if (this.failure) throw this.failure;
  }

  /** Deletes segment files numbered below `segmentNumber` (their data is in SSTables now). */
  async removeSegmentsBefore(segmentNumber: number): Promise<void> {
    for (const number of [...this.segmentsOnDisk]) {
      if (number >= segmentNumber || number === this.active.number) continue;
      this.segmentsOnDisk.delete(number);
      await fs.promises.rm(segmentPath(this.options.dir, number), { force: true });
    }
  }

  /** Writes and syncs everything queued, then closes the files. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.sync();
    } finally {
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      while (this.syncRound) await this.syncRound;
      fs.closeSync(this.active.fd);
      this.active.retired = true;
    }
  }

  private createSegment(segmentNumber: number): Segment {
    const file = segmentPath(this.options.dir, segmentNumber);
    const fd = fs.openSync(file, 'wx');
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
    SEGMENT_MAGIC.copy(header, 0);
    header.writeUInt32LE(SEGMENT_FORMAT_VERSION, 8);
    writeUint64(header, segmentNumber, 12);
    writeAllFully(fd, [header], 0);
    if (this.options.syncPolicy !== 'none') fsyncDirectory(this.options.dir);
    this.segmentsOnDisk.add(segmentNumber);
    this.bytesWritten += header.length;
    const segment: Segment = {
      number: segmentNumber,
      path: file,
      fd,
      bytes: header.length,
      syncsInFlight: 0,
      retired: false,
    };
    this.dirty.add(segment);
    return segment;
  }

  private writePending(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const records = this.pending;
    const bytes = this.pendingBytes;
    const waiters = this.pendingWaiters;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingWaiters = [];
    if (this.failure) {
      this.rejectWaiters(waiters, this.failure);
      return;
    }
    try {
      // One writev of the turn's records, not a copy of them into one buffer.
      writeAllFully(this.active.fd, records, this.active.bytes);
    } catch (error) {
      this.rejectWaiters(waiters, error as Error);
      this.fail(error as Error);
      return;
    }
    this.active.bytes += bytes;
    this.bytesWritten += bytes;
    this.dirty.add(this.active);
    if (this.options.syncPolicy === 'always') {
      this.unsynced.push(...waiters);
      this.startSyncRound();
    } else {
      this.resolveWaiters(waiters);
    }
  }

  /** One fsync round over every dirty segment; at most one round runs at a time. */
  private startSyncRound(): void {
    if (this.syncRound || this.failure || this.dirty.size === 0) return;
    const waiters = this.unsynced.splice(0);
    const segments = [...this.dirty];
    this.dirty.clear();
    for (const segment of segments) segment.syncsInFlight++;
    const started = process.hrtime.bigint();
    this.syncRound = Promise.all(segments.map((segment) => fsyncAsync(segment.fd)))
      .then(
        () => {
          this.recordFsync(started, segments.length);
          this.resolveWaiters(waiters);
        },
        (error: Error) => {
          this.rejectWaiters(waiters, error);
          this.fail(error);
        },
      )
      .finally(() => {
        for (const segment of segments) {
          segment.syncsInFlight--;
          if (segment.retired && segment.syncsInFlight === 0 && segment !== this.active) {
            fs.closeSync(segment.fd);
          }
        }
        this.syncRound = undefined;
        if (this.unsynced.length > 0) this.startSyncRound();
      });
  }

  private timedFsyncSync(fd: number): void {
    const started = process.hrtime.bigint();
    fs.fsyncSync(fd);
    this.recordFsync(started, 1);
  }

  private recordFsync(started: bigint, count: number): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.fsyncs += count;
    this.fsyncSecondsTotal += seconds;
    this.options.onFsync?.(seconds);
  }

  /** A failed write or fsync leaves the OS state unknown: the log refuses all further work. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectWaiters(this.unsynced.splice(0), error);
    this.onFailure(error);
  }

  private resolveWaiters(waiters: Waiter[]): void {
    for (const waiter of waiters) waiter.resolve();
  }

  private rejectWaiters(waiters: Waiter[], error: Error): void {
    for (const waiter of waiters) waiter.reject(error);
  }
}

/** Writes `buffers` in order at `position`, however many calls the OS takes. */
function writeAllFully(fd: number, buffers: Buffer[], position: number): void {
  let remaining = buffers;
  let at = position;
  while (remaining.length > 0) {
    let written = fs.writevSync(fd, remaining, at);
    at += written;
    let first = 0;
    while (first < remaining.length && written >= remaining[first]!.length) {
      written -= remaining[first]!.length;
      first++;
    }
    remaining = remaining.slice(first);
    if (written > 0) remaining[0] = remaining[0]!.subarray(written);
  }
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.fsync(fd, (error) => (error ? reject(error) : resolve())),
  );
}

/** Makes a created, renamed or removed directory entry durable. */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface RecoveryLogger {
  warn(details: object, message?: string): void;
}

export interface RecoveredCommitLog {
  /** Highest sequence number replayed (0 when no record was). */
  lastSeq: number;
  records: number;
  /** Segments still on disk after recovery (a segment with a torn header is removed). */
  segments: number[];
  /** Set when the last segment ended in a torn record that was cut off. */
  truncated?: { file: string; offset: number; droppedBytes: number };
}

/**
 * Replays segments `segmentNumbers` (ascending) of `dir`, passing every batch's entries to
 * `apply` in log order. Truncates a torn tail of the last segment; throws CorruptionError for any
 * other damage.
 */
export function recoverCommitLog(
  dir: string,
  segmentNumbers: readonly number[],
  apply: (entries: Entry[]) => void,
  logger: RecoveryLogger,
): RecoveredCommitLog {
  const result: RecoveredCommitLog = { lastSeq: 0, records: 0, segments: [] };
  segmentNumbers.forEach((number, index) => {
    const isLast = index === segmentNumbers.length - 1;
    const file = segmentPath(dir, number);
    const bytes = fs.readFileSync(file);
    if (bytes.length < SEGMENT_HEADER_BYTES && isLast) {
      // Created but its header never reached the disk: holds no record.
      result.truncated = { file, offset: 0, droppedBytes: bytes.length };
      logger.warn({ file, bytes: bytes.length }, 'commit log: removed segment with torn header');
      fs.rmSync(file);
      return;
    }
    checkSegmentHeader(bytes, file, number);
    result.segments.push(number);
    const end = replaySegment(bytes, file, isLast, (entries) => {
      result.records++;
      result.lastSeq = Math.max(result.lastSeq, entries[entries.length - 1]?.seq ?? 0);
      apply(entries);
    });
    if (end < bytes.length) {
      result.truncated = { file, offset: end, droppedBytes: bytes.length - end };
      logger.warn(result.truncated, 'commit log: truncated torn tail');
      truncateDurably(file, end);
    }
  });
  return result;
}

function checkSegmentHeader(bytes: Buffer, file: string, segmentNumber: number): void {
  if (bytes.length < SEGMENT_HEADER_BYTES) {
    throw new CorruptionError('commit log: segment shorter than its header', file, 0);
  }
  if (!bytes.subarray(0, 8).equals(SEGMENT_MAGIC)) {
    throw new CorruptionError('commit log: bad segment magic', file, 0);
  }
  const version = bytes.readUInt32LE(8);
  if (version !== SEGMENT_FORMAT_VERSION) {
    throw new CorruptionError(`commit log: unknown segment format version ${version}`, file, 8);
  }
  if (readUint64(bytes, 12) !== segmentNumber) {
    throw new CorruptionError('commit log: segment number differs from file name', file, 12);
  }
}

/** Returns the offset where valid records end (bytes.length when the segment is whole). */
function replaySegment(
  bytes: Buffer,
  file: string,
  isLast: boolean,
  apply: (entries: Entry[]) => void,
): number {
  let offset = SEGMENT_HEADER_BYTES;
  while (offset < bytes.length) {
    const problem = recordProblem(bytes, offset);
    if (problem !== undefined) {
      if (isLast && !validRecordFollows(bytes, offset)) return offset;
      throw new CorruptionError(`commit log: ${problem}`, file, offset);
    }
    const length = bytes.readUInt32LE(offset + 4);
    const type = bytes.readUInt8(offset + 8);
    if (type !== RecordType.WriteBatch) {
      throw new CorruptionError(`commit log: unknown record type ${type}`, file, offset + 8);
    }
    const payloadStart = offset + RECORD_HEADER_BYTES;
    const payload = bytes.subarray(payloadStart, payloadStart + length);
    apply(decodeWriteBatch(payload, file, payloadStart));
    offset = payloadStart + length;
  }
  return offset;
}

/** Why the record at `offset` cannot be read, or undefined when it is intact. */
function recordProblem(bytes: Buffer, offset: number): string | undefined {
  const remaining = bytes.length - offset;
  if (remaining < RECORD_HEADER_BYTES) return 'record header truncated';
  const length = bytes.readUInt32LE(offset + 4);
  if (length > RECORD_PAYLOAD_BYTES_MAX) return `record length ${length} exceeds the maximum`;
  if (length > remaining - RECORD_HEADER_BYTES) return 'record truncated';
  const stored = bytes.readUInt32LE(offset);
  const computed = crc32(bytes.subarray(offset + 4, offset + RECORD_HEADER_BYTES + length));
  if (stored !== computed) return 'record CRC mismatch';
  return undefined;
}

/**
 * Whether an intact record starts anywhere after `offset`. A torn write leaves nothing valid
 * behind it; a damaged record in the middle does, and must not be mistaken for the tail.
 */
function validRecordFollows(bytes: Buffer, offset: number): boolean {
  for (let at = offset + 1; at + RECORD_HEADER_BYTES <= bytes.length; at++) {
    if (bytes[at + 8] !== RecordType.WriteBatch) continue;
    if (recordProblem(bytes, at) === undefined) return true;
  }
  return false;
}

function truncateDurably(file: string, length: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.ftruncateSync(fd, length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
