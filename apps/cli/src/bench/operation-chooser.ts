// Picks each run-phase operation with the probability the workload's mix gives it.
import type { Random } from './random';
import type { Operation, Workload } from './workloads';

export class OperationChooser {
  private readonly cumulative: [number, Operation][] = [];

  constructor(
    workload: Workload,
    private readonly random: Random,
  ) {
    let total = 0;
    for (const [operation, share] of Object.entries(workload.mix) as [Operation, number][]) {
      total += share;
      this.cumulative.push([total, operation]);
    }
    if (Math.abs(total - 1) > 1e-9) {
      throw new RangeError(`workload ${workload.name} mix sums to ${total}, not 1`);
    }
  }

  next(): Operation {
    const u = this.random.nextDouble();
    for (const [bound, operation] of this.cumulative) if (u < bound) return operation;
    return this.cumulative[this.cumulative.length - 1]![1];
  }
}
