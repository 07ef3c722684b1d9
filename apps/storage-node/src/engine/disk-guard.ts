/**
 * Disk guard: writes fail with DiskFullError while the free space of the data directory's file
 * system is below `diskFreeBytesMin`; reads are never affected. Free space is sampled with
 * statfs at most once per DISK_FREE_REFRESH_MS, in the background, so the check on the write
 * path is a comparison against the last sample.
 */
import fs from 'node:fs';
import { DiskFullError } from './errors';

/** How stale the free-space sample may get: statfs per write would cost a syscall each. */
export const DISK_FREE_REFRESH_MS = 1000;

/** Bytes available to this process on the file system holding `dir`. */
export type DiskFreeBytesSource = (dir: string) => Promise<number>;

export const statfsFreeBytes: DiskFreeBytesSource = async (dir) => {
  const stats = await fs.promises.statfs(dir);
  return stats.bavail * stats.bsize;
};

export class DiskGuard {
  private freeBytes = Number.POSITIVE_INFINITY;
  private sampledAtMs = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly freeBytesMin: number,
    private readonly source: DiskFreeBytesSource = statfsFreeBytes,
    private readonly clockMs: () => number = Date.now,
  ) {}

  /** Last sampled free bytes (Infinity before the first sample); resamples if it is old. */
  get lastFreeBytes(): number {
    this.refreshIfStale();
    return this.freeBytes;
  }

  get enabled(): boolean {
    return this.freeBytesMin > 0;
  }

  /** Takes a fresh sample now; a failing statfs keeps the previous sample. */
  refresh(): Promise<void> {
    this.refreshing ??= this.source(this.dir)
      .then(
        (freeBytes) => {
          this.freeBytes = freeBytes;
        },
        () => undefined,
      )
      .finally(() => {
        this.sampledAtMs = this.clockMs();
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Throws DiskFullError when the last sample is below the minimum; resamples if it is old. */
  checkWritable(): void {
    if (!this.enabled) return;
    this.refreshIfStale();
    if (this.freeBytes < this.freeBytesMin) {
      throw new DiskFullError(
        `free disk space ${this.freeBytes} bytes is below the minimum ` +
          `${this.freeBytesMin} bytes (diskFreeBytesMin) for ${this.dir}`,
      );
    }
  }

  private refreshIfStale(): void {
    if (this.clockMs() - this.sampledAtMs >= DISK_FREE_REFRESH_MS) void this.refresh();
  }
}
