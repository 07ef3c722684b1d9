// Command line of the coordinator benchmark:
//   nx run coordinator:bench [--duration S] [--warmup S] [--clients 16,64] [--sync always,none]
//                            [--value-bytes N] [--workloads echo,write,etcd-put,read] [--json]
//                            [--profile [DIR]] [--scale [--pg-url URL]]
import { parseArgs } from 'node:util';
import type { SyncPolicy } from './cluster';
import { DEFAULT_VALUE_BYTES, type WorkloadName } from './workload';

export const DEFAULT_DURATION_S = 10;
export const DEFAULT_WARMUP_S = 2;
export const DEFAULT_CLIENTS = [16, 64];
/** The storage node's own default: fsync before every acknowledgement. */
export const DEFAULT_SYNC_POLICIES: SyncPolicy[] = ['always'];
/** In the order they run: reads need the keys the writes stored; etcd-put runs right after
 * write, so the two figures compared are measured closest together. */
export const WORKLOADS: readonly WorkloadName[] = ['echo', 'write', 'etcd-put', 'read'];
export const DEFAULT_PROFILE_DIR = 'tmp/bench-profiles';
/** More callers than this is a typo, not a benchmark of one load-generator process. */
const CLIENTS_MAX = 4_096;
const SYNC_POLICIES: readonly SyncPolicy[] = ['always', 'none'];
/** The coordinator's default value limit (limits.value_bytes_max). */
const VALUE_BYTES_MAX = 1024 * 1024;
/** Where --pg-url comes from when it is not given: the PostgreSQL the test suites use. */
const PG_URL_VARIABLE = 'PAIRDB_TEST_PG_URL';

export const USAGE = `usage: nx run coordinator:bench [options]
  --duration S      measured seconds per row (default ${DEFAULT_DURATION_S})
  --warmup S        unmeasured seconds before each row (default ${DEFAULT_WARMUP_S})
  --clients LIST    concurrent callers, comma-separated (default ${DEFAULT_CLIENTS.join(',')})
  --sync LIST       storage sync policies, one cluster each: always, none (default always)
  --value-bytes N   bytes per written value, PairDB and etcd alike (default ${DEFAULT_VALUE_BYTES})
  --workloads LIST  which of echo, write, etcd-put, read to run (default all; read needs
                    write; etcd-put needs etcd on PATH: apt-get install etcd-server)
  --json            print one JSON object instead of the table
  --help            print this and exit
  --profile [DIR]   write V8 CPU profiles of the coordinator and storage nodes to DIR
                    (default ${DEFAULT_PROFILE_DIR}); summarize one with profile-summary.ts
  --scale           instead of the comparison, write throughput at each client count with 1, 2
                    and 3 coordinators before 3 storage nodes, and with 3 and 5 nodes
  --pg-url URL      PostgreSQL server on which --scale creates a fresh metadata database per
                    cluster, for coordinators to share (default $${PG_URL_VARIABLE}); without
                    it the runs with 2 and 3 coordinators are skipped`;

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
  /** Bytes of every value written (write and etcd-put). */
  readonly valueBytes: number;
  readonly json: boolean;
  /** Where the server processes' CPU profiles go; undefined: not profiled. */
  readonly profileDir: string | undefined;
  /** --scale: the scale series instead of the comparison. */
  readonly scale: boolean;
  /** A PostgreSQL server URL for shared metadata; undefined: none given. */
  readonly postgresUrl: string | undefined;
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
    throw new BenchOptionsError(`--workloads ${text}: expected echo, write, etcd-put and/or read`);
  }
  if (named.includes('read') && !named.includes('write')) {
    throw new BenchOptionsError(`--workloads ${text}: read needs write, which stores its keys`);
  }
  return WORKLOADS.filter((name) => named.includes(name));
}

function valueBytes(text: string | undefined): number {
  if (text === undefined) return DEFAULT_VALUE_BYTES;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > VALUE_BYTES_MAX) {
    throw new BenchOptionsError(
      `--value-bytes ${text}: expected an integer from 1 to ${VALUE_BYTES_MAX}`,
    );
  }
  return value;
}

function postgresUrl(text: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const url = text ?? env[PG_URL_VARIABLE];
  if (url === undefined || url === '') return undefined;
  const name = text === undefined ? `$${PG_URL_VARIABLE}` : '--pg-url';
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new BenchOptionsError(`${name} ${url}: not a URL`);
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new BenchOptionsError(`${name} ${url}: expected a postgres:// URL`);
  }
  return url;
}

/** --scale runs writes on clusters of its own: the options that shape the comparison do not
 * apply to it. */
function checkScale(values: { workloads?: string; profile?: string }, sync: SyncPolicy[]): void {
  if (values.workloads !== undefined) {
    throw new BenchOptionsError(`--scale measures writes only: leave out --workloads`);
  }
  if (values.profile !== undefined) {
    throw new BenchOptionsError(`--scale starts several clusters: leave out --profile`);
  }
  if (sync.length > 1) {
    throw new BenchOptionsError(`--scale --sync ${sync.join(',')}: give one sync policy`);
  }
}

export function parseBenchOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): BenchOptions {
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
        'value-bytes': { type: 'string' },
        workloads: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        profile: { type: 'string' },
        scale: { type: 'boolean', default: false },
        'pg-url': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new BenchOptionsError((error as Error).message);
  }
  const durationMs = seconds('duration', values.duration, DEFAULT_DURATION_S);
  if (durationMs === 0) throw new BenchOptionsError('--duration must be above 0');
  const sync = syncPolicies(values.sync);
  const scale = values.scale ?? false;
  if (scale) checkScale(values, sync);
  return {
    durationMs,
    warmupMs: seconds('warmup', values.warmup, DEFAULT_WARMUP_S),
    clients: clientCounts(values.clients),
    syncPolicies: sync,
    workloads: scale ? ['write'] : workloads(values.workloads),
    valueBytes: valueBytes(values['value-bytes']),
    json: values.json ?? false,
    profileDir: values.profile,
    scale,
    postgresUrl: postgresUrl(values['pg-url'], env),
    help: values.help ?? false,
  };
}
