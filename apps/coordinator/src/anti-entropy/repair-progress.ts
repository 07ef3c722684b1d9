// The running pass's progress, written to the metadata store as the pass goes
// (docs/architecture.md#anti-entropy) so that GetRepairStatus on any coordinator can answer.
// Writes are throttled to one per `intervalMs` and never overlap; each writes the newest counts.
// The pass's end is written by the runner itself (finishRepair), after settle().
import type { RepairProgress } from '../metadata';

/** How often a running pass's progress is written at most: one metadata row update. */
export const PROGRESS_RECORD_MS = 1_000;

export class RepairProgressRecorder {
  private lastWriteMs = Number.NEGATIVE_INFINITY;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly write: (progress: RepairProgress) => Promise<void>,
    private readonly now: () => number,
    private readonly onError: (error: Error) => void,
    private readonly intervalMs = PROGRESS_RECORD_MS,
  ) {}

  /** Writes `progress` now unless a write is in flight or the last one was too recent. */
  update(progress: RepairProgress): void {
    if (this.writing || this.now() - this.lastWriteMs < this.intervalMs) return;
    this.lastWriteMs = this.now();
    this.writing = this.write({ ...progress })
      .catch((error: Error) => this.onError(error))
      .finally(() => {
        this.writing = undefined;
      });
  }

  /** Resolves once no write is in flight. */
  async settle(): Promise<void> {
    await this.writing;
  }
}
