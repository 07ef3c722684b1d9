// The YCSB core workloads (workloads/workloada .. workloadf in the YCSB repository), by their
// operation mix and request distribution. Every workload first loads recordcount records
// (the load phase), then runs operationcount operations (the run phase).
//
//   A  update heavy        read 0.50  update 0.50                      zipfian
//   B  read mostly         read 0.95  update 0.05                      zipfian
//   C  read only           read 1.00                                   zipfian
//   D  read latest         read 0.95  insert 0.05                      latest
//   E  short ranges        scan 0.95  insert 0.05  (scan length 1-100) zipfian
//   F  read-modify-write   read 0.50  read-modify-write 0.50           zipfian

export const OPERATIONS = ['READ', 'UPDATE', 'INSERT', 'SCAN', 'READ-MODIFY-WRITE'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const DISTRIBUTIONS = ['zipfian', 'latest', 'uniform'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export interface Workload {
  readonly name: string;
  readonly description: string;
  readonly mix: Readonly<Partial<Record<Operation, number>>>;
  readonly distribution: Distribution;
}

export const WORKLOADS: Readonly<Record<string, Workload>> = {
  A: {
    name: 'A',
    description: 'update heavy',
    mix: { READ: 0.5, UPDATE: 0.5 },
    distribution: 'zipfian',
  },
  B: {
    name: 'B',
    description: 'read mostly',
    mix: { READ: 0.95, UPDATE: 0.05 },
    distribution: 'zipfian',
  },
  C: { name: 'C', description: 'read only', mix: { READ: 1 }, distribution: 'zipfian' },
  D: {
    name: 'D',
    description: 'read latest',
    mix: { READ: 0.95, INSERT: 0.05 },
    distribution: 'latest',
  },
  E: {
    name: 'E',
    description: 'short ranges',
    mix: { SCAN: 0.95, INSERT: 0.05 },
    distribution: 'zipfian',
  },
  F: {
    name: 'F',
    description: 'read-modify-write',
    mix: { READ: 0.5, 'READ-MODIFY-WRITE': 0.5 },
    distribution: 'zipfian',
  },
};

/**
 * Operations PairDB's public API cannot do. The coordinator offers point reads and writes only
 * (proto/pairdb/coordinator/v1/coordinator.proto has no range scan), so YCSB's SCAN, and with it
 * workload E, is reported as unsupported rather than imitated with point reads.
 */
export const UNSUPPORTED: Readonly<Partial<Record<Operation, string>>> = {
  SCAN: 'the coordinator API has no range scan (YCSB SCAN)',
};

/** Why `workload` cannot run here, or undefined when it can. */
export function unsupportedReason(workload: Workload): string | undefined {
  for (const operation of Object.keys(workload.mix) as Operation[]) {
    const reason = UNSUPPORTED[operation];
    if (reason) return reason;
  }
  return undefined;
}

export function describeMix(workload: Workload, distribution = workload.distribution): string {
  const parts = (Object.entries(workload.mix) as [Operation, number][]).map(
    ([operation, share]) => `${operation.toLowerCase()} ${Math.round(share * 100)}%`,
  );
  return `${workload.description}: ${parts.join(', ')}, ${distribution}`;
}
