// The coordinator benchmark (`npx nx run coordinator:bench`,
// docs/architecture.md#performance-design, docs/benchmarks.md): QUORUM write and read throughput
// and p50/p99 of a real cluster (3 storage nodes + 1 coordinator from the production bundles,
// RF 3) beside a bare grpc-js echo server and a 3-member etcd cluster (when `etcd` is on PATH)
// measured in the same run, and their ratios. For each storage sync policy (one fresh cluster
// each) and each client count it runs echo, then write (new keys), then etcd-put (new keys, the
// same sizes), then read (random keys written before in the pass), each in a fresh
// load-generator process. `--scale` measures writes on bigger clusters instead (scale.ts).
// Prints the figures; asserts nothing.
import { mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { BenchCluster, REPLICATION_FACTOR, STORAGE_NODE_COUNT, type SyncPolicy } from './cluster';
import { ETCD_INSTALL_HINT, ETCD_MEMBER_COUNT, EtcdCluster, findEtcd } from './etcd-cluster';
import { exchangeBatchTotals, requestsPerBatch, type BatchTotals } from './exchange-batches';
import {
  forkTypeScript,
  LoadRunError,
  runLoad,
  type MeasuredRun,
  type WindowHooks,
} from './load-run';
import { dropLeftoverDatabases } from './metadata-database';
import type { CpuGroups } from './process-cpu';
import { BenchOptionsError, parseBenchOptions, USAGE, type BenchOptions } from './options';
import {
  formatTable,
  reportRow,
  runConditions,
  runStart,
  targetChecks,
  type BenchReport,
  type ReportRow,
} from './report';
import { runScale } from './scale';
import { formatScaleTable } from './scale-report';
import {
  BENCH_CONSISTENCY,
  echoPayloadBytes,
  KEY_BYTES,
  type LoadPlan,
  type WorkloadName,
} from './workload';

interface EchoServer {
  readonly address: string;
  readonly pid: number;
  stop(): void;
}

async function startEchoServer(): Promise<EchoServer> {
  const child = forkTypeScript('echo-server.ts');
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new LoadRunError(`echo server exited ${code}`)));
  });
  return { address: `127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

/** The servers every pass compares the cluster with, started once for the whole run. */
interface Baselines {
  readonly echo: EchoServer;
  readonly etcd: EtcdCluster | undefined;
  /** The first key no etcd-put has written yet, across passes. */
  etcdNextKey: number;
}

/** Reads the coordinators' batch histograms as a load run's window opens and closes. */
function batchWindow(cluster: BenchCluster): {
  hooks: WindowHooks;
  requestsPerBatch(): Promise<number | undefined>;
} {
  let before: Promise<BatchTotals | undefined> | undefined;
  let after: Promise<BatchTotals | undefined> | undefined;
  return {
    hooks: {
      opened: () => (before = exchangeBatchTotals(cluster.coordinatorMetricsUrls)),
      closed: () => (after = exchangeBatchTotals(cluster.coordinatorMetricsUrls)),
    },
    requestsPerBatch: async () => requestsPerBatch(await before, await after),
  };
}

/** One cluster with one sync policy: every workload at every client count. */
async function runPass(
  options: BenchOptions,
  workloads: readonly WorkloadName[],
  sync: SyncPolicy,
  baselines: Baselines,
  progress: (text: string) => void,
): Promise<ReportRow[]> {
  const cluster = await BenchCluster.start({
    syncPolicy: sync,
    profileDir: options.profileDir,
  });
  const target = (workload: WorkloadName): { addresses: string[]; servers: CpuGroups } => {
    if (workload === 'echo') {
      return { addresses: [baselines.echo.address], servers: { server: [baselines.echo.pid] } };
    }
    if (workload === 'etcd-put') {
      const etcd = baselines.etcd!;
      return { addresses: etcd.clientAddresses, servers: { storageNodes: etcd.pids } };
    }
    return {
      addresses: cluster.coordinatorAddresses,
      servers: { server: cluster.pids.coordinator, storageNodes: cluster.pids.storageNodes },
    };
  };
  const rows: ReportRow[] = [];
  let keyCount = 0;
  try {
    for (const clients of options.clients) {
      progress(`sync=${sync}: ${workloads.join(', ')} at ${clients} clients`);
      const runs: (MeasuredRun & { requestsPerBatch?: number })[] = [];
      for (const workload of workloads) {
        const { addresses, servers } = target(workload);
        const keyOffset = workload === 'etcd-put' ? baselines.etcdNextKey : keyCount;
        const plan: LoadPlan = {
          workload,
          addresses,
          clients,
          warmupMs: options.warmupMs,
          durationMs: options.durationMs,
          valueBytes: options.valueBytes,
          keyOffset,
          keyCount,
        };
        const batches =
          workload === 'write' || workload === 'read' ? batchWindow(cluster) : undefined;
        const run = await runLoad(plan, servers, batches?.hooks);
        if (workload === 'write') keyCount = run.result.nextKeyIndex;
        if (workload === 'etcd-put') baselines.etcdNextKey = run.result.nextKeyIndex;
        runs.push({ ...run, requestsPerBatch: await batches?.requestsPerBatch() });
      }
      const of = (name: WorkloadName) => runs.find((run) => run.result.workload === name)?.result;
      const compared = { echo: of('echo'), etcd: of('etcd-put') };
      rows.push(
        ...runs.map((run) =>
          reportRow(run.result, run.cpuCores, compared, sync, run.requestsPerBatch),
        ),
      );
    }
  } finally {
    await cluster.stop();
  }
  return rows;
}

/** The etcd cluster if etcd-put is to run and etcd is on PATH; otherwise why not, as a note. */
async function startEtcd(
  options: BenchOptions,
): Promise<{ etcd: EtcdCluster | undefined; note: string | undefined }> {
  if (!options.workloads.includes('etcd-put')) return { etcd: undefined, note: undefined };
  const binary = findEtcd();
  if (!binary) {
    return {
      etcd: undefined,
      note: `etcd-put skipped: no etcd on PATH (install it: ${ETCD_INSTALL_HINT})`,
    };
  }
  return { etcd: await EtcdCluster.start(binary), note: undefined };
}

async function runComparison(
  options: BenchOptions,
  progress: (text: string) => void,
): Promise<BenchReport> {
  const start = runStart();
  const echo = await startEchoServer();
  let etcd: EtcdCluster | undefined;
  let note: string | undefined;
  const rows: ReportRow[] = [];
  try {
    ({ etcd, note } = await startEtcd(options));
    if (note) progress(note);
    const workloads = options.workloads.filter((name) => name !== 'etcd-put' || etcd);
    const baselines: Baselines = { echo, etcd, etcdNextKey: 0 };
    for (const sync of options.syncPolicies) {
      rows.push(...(await runPass(options, workloads, sync, baselines, progress)));
    }
  } finally {
    echo.stop();
    await etcd?.stop();
  }
  return {
    setup: {
      storageNodes: STORAGE_NODE_COUNT,
      replicationFactor: REPLICATION_FACTOR,
      consistency: BENCH_CONSISTENCY,
      keyBytes: KEY_BYTES,
      valueBytes: options.valueBytes,
      echoPayloadBytes: echoPayloadBytes(options.valueBytes),
      etcd: etcd ? { version: etcd.version, members: ETCD_MEMBER_COUNT } : undefined,
      ...runConditions(options, start),
    },
    rows,
    targets: targetChecks(rows),
    notes: note ? [note] : [],
  };
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchOptionsError)) throw error;
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const progress = (text: string) => console.error(`bench: ${text}`);
  if (options.scale) {
    const report = await runScale(options, progress);
    console.log(options.json ? JSON.stringify(report) : formatScaleTable(report));
    return;
  }
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const report = await runComparison(options, progress);
  console.log(options.json ? JSON.stringify(report) : formatTable(report));
  if (options.profileDir) {
    const profiles = readdirSync(options.profileDir).filter((f) => f.endsWith('.cpuprofile'));
    progress(`CPU profiles in ${path.resolve(options.profileDir)}: ${profiles.join(' ')}`);
  }
}

// Child processes and temp dirs go on exit (exit-cleanup.ts); a metadata database needs a call
// to PostgreSQL first. A second Ctrl-C does not wait for it.
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  void dropLeftoverDatabases().finally(() => process.exit(130));
});
main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
