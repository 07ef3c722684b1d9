// Requests in flight, counted by the ring version they were placed under
// (docs/architecture.md#membership-and-migrations). A coordinator has taken a ring version only
// once nothing it started under an older one is still running: writes with their stragglers and
// hints, reads, read repairs. A migration step waits for that on every coordinator.

export class RequestsInFlight {
  private readonly counts = new Map<number, number>();
  private waiters: Array<{ version: number; resolve: () => void }> = [];

  /** Counts a request under `ringVersion`; call the returned function exactly once when done. */
  begin(ringVersion: number): () => void {
    this.counts.set(ringVersion, (this.counts.get(ringVersion) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = this.counts.get(ringVersion)! - 1;
      if (left === 0) this.counts.delete(ringVersion);
      else this.counts.set(ringVersion, left);
      this.wake();
    };
  }

  /** Requests started under a version below `ringVersion` and not yet done. */
  olderThan(ringVersion: number): number {
    let total = 0;
    for (const [version, count] of this.counts) if (version < ringVersion) total += count;
    return total;
  }

  /** Resolves once no request started under a version below `ringVersion` is in flight. */
  drained(ringVersion: number): Promise<void> {
    if (this.olderThan(ringVersion) === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ version: ringVersion, resolve }));
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (this.olderThan(waiter.version) === 0) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }
}
