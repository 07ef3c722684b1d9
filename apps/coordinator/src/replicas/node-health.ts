// Which storage nodes recently failed: used to pick a healthy stand-in for hints without first
// waiting on a node that just timed out. A node is suspect from a failure until its next success
// or until the suspicion expires, so a recovered node is tried again soon.

/** How long one failure keeps a node suspect. */
export const SUSPECT_FOR_MS_DEFAULT = 2_000;

export class NodeHealth {
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly suspectForMs = SUSPECT_FOR_MS_DEFAULT,
    private readonly now: () => number = Date.now,
  ) {}

  markFailure(nodeId: string): void {
    this.failedAt.set(nodeId, this.now());
  }

  markSuccess(nodeId: string): void {
    this.failedAt.delete(nodeId);
  }

  isSuspect(nodeId: string): boolean {
    const at = this.failedAt.get(nodeId);
    if (at === undefined) return false;
    if (this.now() - at >= this.suspectForMs) {
      this.failedAt.delete(nodeId);
      return false;
    }
    return true;
  }
}
