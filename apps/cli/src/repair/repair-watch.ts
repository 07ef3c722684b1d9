// `pairdb repair` follows the repair it asked for: polls GetRepairStatus and prints a line each
// time its status or progress changes, until it completes or ends incomplete.
import type { Repair } from '@pairdb/client';
import { describeRepair, isRepairFinished } from './repair-text';

export interface RepairWatchOptions {
  fetch(): Promise<Repair>;
  output: { write(text: string): unknown };
  intervalMs: number;
  /** Aborting ends the watch early with the last state seen. */
  signal?: AbortSignal;
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export async function watchRepair(options: RepairWatchOptions): Promise<Repair> {
  const sleep = options.sleep ?? abortableSleep;
  let last = '';
  for (;;) {
    const repair = await options.fetch();
    const line = describeRepair(repair);
    if (line !== last) options.output.write(`${line}\n`);
    last = line;
    if (isRepairFinished(repair) || options.signal?.aborted) return repair;
    await sleep(options.intervalMs, options.signal);
    if (options.signal?.aborted) return repair;
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
