/**
 * What the operating system says about the benchmark process: peak resident memory, bytes handed
 * to write() by every thread (LevelDB's and PairDB's background threads included), and the size
 * of a data directory.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Linux per-process I/O counters; `wchar` counts bytes passed to write-like system calls. */
const PROC_IO_FILE = '/proc/self/io';
/** Background writing counts as finished after this long without a written byte. */
const SETTLE_QUIET_MS = 1500;
/** How often the write counter is sampled while settling. */
const SETTLE_POLL_MS = 100;
/** Give up waiting for background work after this long (a stuck engine must not hang the run). */
const SETTLE_TIMEOUT_MS = 180_000;

/** Peak resident set of this process so far (all threads). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Bytes this process has passed to write system calls, or undefined off Linux. */
export function writeSyscallBytes(): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(PROC_IO_FILE, 'latin1');
  } catch {
    return undefined;
  }
  const match = /^wchar:\s*(\d+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Sum of the sizes of the files below `dir`. */
export function directoryBytes(dir: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += directoryBytes(full);
    else if (entry.isFile()) bytes += fs.statSync(full).size;
  }
  return bytes;
}

/**
 * Waits until background flushes and compactions stop writing (the write counter stays still
 * for SETTLE_QUIET_MS); returns the seconds waited.
 */
export async function waitForQuietDisk(): Promise<number> {
  const started = performance.now();
  let last = writeSyscallBytes();
  if (last === undefined) return 0;
  let quietSince = started;
  while (performance.now() - quietSince < SETTLE_QUIET_MS) {
    if (performance.now() - started > SETTLE_TIMEOUT_MS) break;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const now = writeSyscallBytes();
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    }
  }
  return (performance.now() - started) / 1000;
}
