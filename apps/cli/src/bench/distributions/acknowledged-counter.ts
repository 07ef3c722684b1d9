// Key numbers for inserts during a run. Inserts run concurrently and finish out of order, so
// readers must only pick keys below the highest number whose inserts have all finished:
// lastValue() is that number. (YCSB's AcknowledgedCounterGenerator.) A failed insert is
// acknowledged too: its key then reads as NOT_FOUND, which the run counts as an error.

export class AcknowledgedCounter {
  private nextValue: number;
  private limit: number;
  /** Finished above the limit; at most the number of inserts in flight. */
  private readonly finished = new Set<number>();

  constructor(start: number) {
    this.nextValue = start;
    this.limit = start - 1;
  }

  /** The next key number to insert. */
  next(): number {
    return this.nextValue++;
  }

  acknowledge(value: number): void {
    this.finished.add(value);
    while (this.finished.delete(this.limit + 1)) this.limit++;
  }

  /** Every key number up to this one has been inserted (or tried). */
  lastValue(): number {
    return this.limit;
  }
}
