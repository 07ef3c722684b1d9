/**
 * Open SSTable readers, at most `maxOpenFiles` of them (least recently used closed first), so a
 * large tree does not exhaust file descriptors. A reader pinned by a running iteration is closed
 * only after it is released, so the limit can be exceeded briefly by pinned readers.
 *
 * Blocks are cached under a small cache id per live file rather than the file number: the block
 * cache packs (id, offset) into one safe integer and so holds ids below 2^21, while file numbers
 * grow for the life of the store. An id is reused only after its file was deleted and its blocks
 * evicted.
 */
import { BlockCache } from './block-cache';
import { SSTableReader } from './sstable';
import { LiveFile } from './version';

interface Handle {
  reader: SSTableReader;
  pins: number;
  evicted: boolean;
  /** Tick of the last use, for least-recently-used eviction. */
  usedAt: number;
}

export interface PinnedReader {
  reader: SSTableReader;
  release(): void;
}

export class TableCache {
  private readonly handles = new Map<number, Handle>();
  /** Counts uses; a use only stamps its handle, so the hot path is one map lookup. */
  private tick = 0;
  private readonly cacheIds = new Map<number, number>();
  private readonly freeCacheIds: number[] = [];
  private nextCacheId = 1;

  constructor(
    private readonly maxOpenFiles: number,
    private readonly blockCache: BlockCache | undefined,
  ) {}

  get openFiles(): number {
    return this.handles.size;
  }

  /** The reader of `file`, for synchronous use only (it may be closed at the next call). */
  reader(file: LiveFile): SSTableReader {
    return this.handle(file).reader;
  }

  /** The reader of `file`, kept open until release() (for iterations that span calls). */
  pin(file: LiveFile): PinnedReader {
    const handle = this.handle(file);
    handle.pins++;
    let released = false;
    return {
      reader: handle.reader,
      release: () => {
        if (released) return;
        released = true;
        handle.pins--;
        if (handle.evicted && handle.pins === 0) handle.reader.close();
      },
    };
  }

  /** Closes the reader of a deleted file and drops its cached blocks. */
  evict(fileNumber: number): void {
    const handle = this.handles.get(fileNumber);
    if (handle) {
      this.handles.delete(fileNumber);
      this.retire(handle);
    }
    const cacheId = this.cacheIds.get(fileNumber);
    if (cacheId !== undefined) {
      this.cacheIds.delete(fileNumber);
      this.blockCache?.evictFile(cacheId);
      this.freeCacheIds.push(cacheId);
    }
  }

  closeAll(): void {
    for (const handle of this.handles.values()) handle.reader.close();
    this.handles.clear();
  }

  private handle(file: LiveFile): Handle {
    const existing = this.handles.get(file.fileNumber);
    if (existing) {
      existing.usedAt = ++this.tick;
      return existing;
    }
    const reader = SSTableReader.open(file.path, {
      fileNumber: this.cacheId(file.fileNumber),
      blockCache: this.blockCache,
    });
    const handle: Handle = { reader, pins: 0, evicted: false, usedAt: ++this.tick };
    this.handles.set(file.fileNumber, handle);
    if (this.handles.size > this.maxOpenFiles) this.evictLeastRecentlyUsed();
    return handle;
  }

  /** Closes the least recently used reader; a scan, as it only runs when a file is opened. */
  private evictLeastRecentlyUsed(): void {
    let oldestNumber = -1;
    let oldest: Handle | undefined;
    for (const [fileNumber, handle] of this.handles) {
      if (!oldest || handle.usedAt < oldest.usedAt) {
        oldest = handle;
        oldestNumber = fileNumber;
      }
    }
    if (!oldest) return;
    this.handles.delete(oldestNumber);
    this.retire(oldest);
  }

  private cacheId(fileNumber: number): number {
    let cacheId = this.cacheIds.get(fileNumber);
    if (cacheId === undefined) {
      cacheId = this.freeCacheIds.pop() ?? this.nextCacheId++;
      this.cacheIds.set(fileNumber, cacheId);
    }
    return cacheId;
  }

  private retire(handle: Handle): void {
    handle.evicted = true;
    if (handle.pins === 0) handle.reader.close();
  }
}
