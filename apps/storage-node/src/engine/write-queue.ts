/**
 * The engine's queue of writes waiting behind a stall (L0 backlog or full memtables), bounded by
 * count and by bytes. A full queue refuses the write at once with WriteQueueFullError rather
 * than holding it: a Dynamo-style replica that cannot keep up should say so quickly, so the
 * coordinator counts it as failed, answers from the other replicas and hands the write to a
 * stand-in as a hint, instead of waiting on it until its own deadline.
 *
 * Laws: writes leave in the order they were admitted; the queue never holds more than
 * `lengthMax` writes, nor more than `bytesMax` bytes unless it holds a single write (one write
 * is always admitted into an empty queue, so a write the engine accepts is never refused for its
 * size alone); push and shift are O(1) (amortized).
 */
import { WriteQueueFullError } from './errors';

/**
 * Writes waiting at most. A node takes a few thousand writes/s (docs/benchmarks.md), so this is
 * seconds of traffic: about the coordinator's write timeout, past which a queued write would be
 * applied after its caller gave up.
 */
export const WRITE_QUEUE_LENGTH_MAX_DEFAULT = 16_384;
/** Bytes of queued operations at most: the memory of one more default memtable. */
export const WRITE_QUEUE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** Shifted slots kept before the array is compacted, so compaction is rare and amortized. */
const COMPACT_AFTER_SHIFTED = 1024;

export interface QueuedItem {
  /** Bytes the item holds in memory (keys and values of its operations). */
  readonly bytes: number;
}

export class WriteQueue<T extends QueuedItem> {
  private items: (T | undefined)[] = [];
  /** Index of the oldest item; slots before it are already shifted out. */
  private head = 0;
  private queuedBytes = 0;

  constructor(
    readonly lengthMax: number,
    readonly bytesMax: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** Appends `item`, or throws WriteQueueFullError (and keeps nothing) when it does not fit. */
  push(item: T): void {
    const length = this.length;
    if (length >= this.lengthMax) {
      throw new WriteQueueFullError(
        `write queue full: ${length} writes already wait (limit ${this.lengthMax}); ` +
          'the engine is stalled behind flushes or compactions',
      );
    }
    if (length > 0 && this.queuedBytes + item.bytes > this.bytesMax) {
      throw new WriteQueueFullError(
        `write queue full: ${this.queuedBytes} bytes already wait, ${item.bytes} more would ` +
          `pass the limit of ${this.bytesMax} bytes; the engine is stalled behind flushes or ` +
          'compactions',
      );
    }
    this.items.push(item);
    this.queuedBytes += item.bytes;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined;
    this.head++;
    this.queuedBytes -= item.bytes;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER_SHIFTED && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns every item, oldest first. */
  takeAll(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    this.queuedBytes = 0;
    return all;
  }
}
