// `--watch` (migration status, node add and remove, tenant set-rf): polls GetMigrationStatus
// until the migration ends (completed, failed, cancelled or rolled back). On a terminal: a live
// progress bar. Elsewhere (pipes, CI logs): one line each time phase, status or progress changes.
import { SingleBar } from 'cli-progress';
import type { Migration } from '@pairdb/client';
import { describeMigration, isFinished } from './migration-text';

/** The bar's phase column fits the longest phase, rolling_back, so the bar does not shift. */
const PHASE_WIDTH = 'rolling_back'.length;

export interface WatchOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface WatchOptions {
  fetch(): Promise<Migration>;
  output: WatchOutput;
  intervalMs: number;
  /** Aborting ends the watch early with the last state seen. */
  signal?: AbortSignal;
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export async function watchMigration(options: WatchOptions): Promise<Migration> {
  const intervalMs = options.intervalMs;
  const sleep = options.sleep ?? abortableSleep;
  const view: View = options.output.isTTY
    ? new BarView(options.output)
    : new LineView(options.output);
  let migration = await options.fetch();
  try {
    for (;;) {
      view.show(migration);
      if (isFinished(migration) || options.signal?.aborted) return migration;
      await sleep(intervalMs, options.signal);
      if (options.signal?.aborted) return migration;
      migration = await options.fetch();
    }
  } finally {
    view.close?.();
  }
}

interface View {
  show(migration: Migration): void;
  close?(): void;
}

class LineView implements View {
  private last = '';

  constructor(private readonly output: WatchOutput) {}

  show(migration: Migration): void {
    const line = describeMigration(migration);
    if (line !== this.last) this.output.write(`${line}\n`);
    this.last = line;
  }
}

class BarView implements View {
  private readonly bar: SingleBar;
  private started = false;

  constructor(output: WatchOutput) {
    this.bar = new SingleBar({
      stream: output as NodeJS.WritableStream,
      format: '{phase} |{bar}| {percentage}% | {value}/{total} keys | {status}',
      hideCursor: true,
      barsize: 30,
    });
  }

  show(m: Migration): void {
    // Until the copy has counted its keys the total is unknown; a total of 1 keeps the bar at 0.
    const total = Math.max(m.totalKeys, 1);
    const payload = { phase: m.phase.padEnd(PHASE_WIDTH), status: m.status };
    if (!this.started) this.bar.start(total, m.keysMigrated, payload);
    else this.bar.setTotal(total);
    this.started = true;
    this.bar.update(m.keysMigrated, payload);
  }

  close(): void {
    if (this.started) this.bar.stop();
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
