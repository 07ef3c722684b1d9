// A fixed piece of CPU work timed at the start and the end of a benchmark. On a shared or
// virtual machine the cores' speed can move by tens of percent within an hour; a probe that took
// much longer at one end than the other says the rows between were measured on a changing
// machine, which no load average shows (docs/benchmarks.md#coordinator-vs-a-bare-grpc-echo-and-etcd).
import { createHash } from 'node:crypto';

/** SHA-256 digests per probe: about 0.2 s on the 2-core development machine. */
const PROBE_DIGESTS = 100_000;
/** Start and end probes further apart than this share flag the run. */
export const PROBE_DRIFT_MAX = 0.15;

const PROBE_INPUT = Buffer.alloc(64, 0x5a);

/** Milliseconds this process takes for PROBE_DIGESTS SHA-256 digests of 64 bytes. */
export function cpuProbeMs(): number {
  const started = performance.now();
  for (let i = 0; i < PROBE_DIGESTS; i++) createHash('sha256').update(PROBE_INPUT).digest();
  return performance.now() - started;
}

/** A line for the report: both probes, and a warning when they drifted apart. */
export function probeLine(atStartMs: number, atEndMs: number): string {
  const drift = atEndMs / atStartMs - 1;
  const warning =
    Math.abs(drift) > PROBE_DRIFT_MAX
      ? ` -> the machine's speed changed by ${(drift * 100).toFixed(0)}% during the run: ` +
        'compare ratios within a row only, and run again'
      : '';
  return (
    `CPU probe (${PROBE_DIGESTS.toLocaleString('en-US')} SHA-256 digests): ` +
    `${atStartMs.toFixed(0)} ms at start, ${atEndMs.toFixed(0)} ms at end${warning}`
  );
}
