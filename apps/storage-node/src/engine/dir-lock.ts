/**
 * Exclusive ownership of a data directory: a `LOCK` file created with O_EXCL holding the owner's
 * pid. A lock whose pid no longer runs is stale (its owner crashed) and is taken over; a live
 * owner, including another Engine in this process, makes the open fail with LockedError.
 * (pid reuse by an unrelated process can make a stale lock look live: the operator then removes
 * LOCK by hand, as the error message says.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { LockedError } from './errors';
import { LOCK_FILE } from './file-names';

/** Stale-lock takeovers tried before giving up (another process may be racing for the lock). */
const TAKEOVER_ATTEMPTS_MAX = 3;

/** Directories locked by this process: a pid check cannot tell two engines of one process apart. */
const heldInProcess = new Set<string>();

export class DirLock {
  private released = false;

  private constructor(
    private readonly file: string,
    private readonly key: string,
  ) {}

  /** Takes the lock of `dir` (which must exist) or throws LockedError. */
  static acquire(dir: string): DirLock {
    const key = fs.realpathSync(dir);
    const file = path.join(dir, LOCK_FILE);
    if (heldInProcess.has(key)) {
      throw new LockedError(`data directory ${dir} is already open in this process`);
    }
    for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS_MAX; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx');
        try {
          fs.writeSync(fd, `${process.pid}\n`);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        heldInProcess.add(key);
        return new DirLock(file, key);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = readOwner(file);
      if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
        throw new LockedError(
          `data directory ${dir} is locked by running process ${owner} ` +
            `(remove ${file} only if that process is not a PairDB node)`,
        );
      }
      fs.rmSync(file, { force: true });
    }
    throw new LockedError(`data directory ${dir}: could not take over a stale lock at ${file}`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldInProcess.delete(this.key);
    fs.rmSync(this.file, { force: true });
  }
}

/** The pid in a lock file, or undefined when it is unreadable (a torn write: stale). */
function readOwner(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
