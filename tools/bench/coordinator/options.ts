// Command line of the coordinator benchmark:
//   nx run coordinator:bench [--duration S] [--warmup S] [--clients 16,64] [--sync always,none]
//                            [--workloads echo,write,read] [--json] [--profile [DIR]]
import { parseArgs } from 'node:util';
import type { SyncPolicy } from './cluster';
import type { WorkloadName } from './workload';

export const DEFAULT_DURATION_S = 10;
export const DEFAULT_WARMUP_S = 2;
export const DEFAULT_CLIENTS = [16, 64];
/** The storage node's own default: fsync before every acknowledgement. */
export const DEFAULT_SYNC_POLICIES: SyncPolicy[] = ['always'];
/** In the order they run: reads need the keys the writes stored. */
export const WORKLOADS: readonly WorkloadName[] = ['echo', 'write', 'read'];
export const DEFAULT_PROFILE_DIR = 'tmp/bench-profiles';
/** More callers than this is a typo, not a benchmark of one load-generator process. */
const CLIENTS_MAX = 4_096;
const SYNC_POLICIES: readonly SyncPolicy[] = ['always', 'none'];

export const USAGE = `usage: nx run coordinator:bench [options]
  --duration S      measured seconds per row (default ${DEFAULT_DURATION_S})
  --warmup S        unmeasured seconds before each row (default ${DEFAULT_WARMUP_S})
  --clients LIST    concurrent callers, comma-separated (default ${DEFAULT_CLIENTS.join(',')})
  --sync LIST       storage sync policies, one cluster each: always, none (default always)
  --workloads LIST  which of echo, write, read to run (default all; read needs write)
  --json            print one JSON object instead of the table
  --help            print this and exit
  --profile [DIR]   write V8 CPU profiles of the coordinator and storage nodes to DIR
                    (default ${DEFAULT_PROFILE_DIR}); summarize one with profile-summary.ts`;

export class BenchOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchOptionsError';
  }
}

export interface BenchOptions {
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly clients: readonly number[];
  readonly syncPolicies: readonly SyncPolicy[];
  /** A subset of WORKLOADS, in WORKLOADS order. */
  readonly workloads: readonly WorkloadName[];
  readonly json: boolean;
  /** Where the server processes' CPU profiles go; undefined: not profiled. */
  readonly profileDir: string | undefined;
  /** --help: print USAGE and run nothing. */
  readonly help: boolean;
}

function seconds(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback * 1_000;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new BenchOptionsError(`--${name} ${text}: expected a number of seconds`);
  }
  return Math.round(value * 1_000);
}

function clientCounts(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_CLIENTS;
  return text.split(',').map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 1 || value > CLIENTS_MAX) {
      throw new BenchOptionsError(`--clients ${text}: expected integers from 1 to ${CLIENTS_MAX}`);
    }
    return value;
  });
}

function syncPolicies(text: string | undefined): SyncPolicy[] {
  if (text === undefined) return DEFAULT_SYNC_POLICIES;
  return text.split(',').map((part) => {
    const policy = SYNC_POLICIES.find((known) => known === part);
    if (!policy) throw new BenchOptionsError(`--sync ${text}: expected always and/or none`);
    return policy;
  });
}

function workloads(text: string | undefined): WorkloadName[] {
  if (text === undefined) return [...WORKLOADS];
  const named = text.split(',');
  const unknown = named.filter((name) => !WORKLOADS.some((known) => known === name));
  if (unknown.length > 0) {
    throw new BenchOptionsError(`--workloads ${text}: expected echo, write and/or read`);
  }
  if (named.includes('read') && !named.includes('write')) {
    throw new BenchOptionsError(`--workloads ${text}: read needs write, which stores its keys`);
  }
  return WORKLOADS.filter((name) => named.includes(name));
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  // `--profile` takes an optional folder: give it the default when no folder follows.
  const args = argv.flatMap((arg, index) =>
    arg === '--profile' && (argv[index + 1] ?? '--').startsWith('--')
      ? [`--profile=${DEFAULT_PROFILE_DIR}`]
      : [arg],
  );
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        clients: { type: 'string' },
        sync: { type: 'string' },
        workloads: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        profile: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new BenchOptionsError((error as Error).message);
  }
  const durationMs = seconds('duration', values.duration, DEFAULT_DURATION_S);
  if (durationMs === 0) throw new BenchOptionsError('--duration must be above 0');
  return {
    durationMs,
    warmupMs: seconds('warmup', values.warmup, DEFAULT_WARMUP_S),
    clients: clientCounts(values.clients),
    syncPolicies: syncPolicies(values.sync),
    workloads: workloads(values.workloads),
    json: values.json ?? false,
    profileDir: values.profile,
    help: values.help ?? false,
  };
}
