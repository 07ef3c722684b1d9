// The coordinator benchmark (`npx nx run coordinator:bench`,
// docs/architecture.md#performance-design): QUORUM write and read throughput and p50/p99 of a real
// cluster (3 storage nodes + 1 coordinator from the production bundles, RF 3) beside a bare grpc-js
// echo server measured in the same run, and their ratios. For each storage sync policy (one fresh
// cluster each) and each client count it runs echo, then write (new keys), then read (random keys
// written before in the pass), each in a fresh load-generator process. Prints the figures; asserts
// nothing.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { BenchCluster, REPLICATION_FACTOR, STORAGE_NODE_COUNT, type SyncPolicy } from './cluster';
import { startCpuWindow, type CpuGroups } from './process-cpu';
import { BenchOptionsError, parseBenchOptions, USAGE, type BenchOptions } from './options';
import {
  formatTable,
  reportRow,
  targetChecks,
  type BenchReport,
  type BenchSetup,
  type CpuCores,
  type ReportRow,
} from './report';
import {
  BENCH_CONSISTENCY,
  echoPayloadBytes,
  KEY_BYTES,
  VALUE_BYTES,
  type LoadMessage,
  type LoadPlan,
  type LoadResult,
  type WorkloadName,
} from './workload';

const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');
const TS_EXEC_ARGV = ['--require', '@swc-node/register'];
/** Beyond warm-up and window, a load run gets this long to finish its last calls and report. */
const LOAD_RUN_SLACK_MS = 30_000;

export class LoadRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadRunError';
  }
}

function forkTypeScript(file: string): ChildProcess {
  return fork(path.join(__dirname, file), [], {
    execArgv: TS_EXEC_ARGV,
    env: {
      ...process.env,
      SWC_NODE_PROJECT: path.join(WORKSPACE_ROOT, 'tsconfig.base.json'),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** What one load run measured, and the CPU cores each group of processes used meanwhile. */
interface MeasuredRun {
  readonly result: LoadResult;
  readonly cpuCores: CpuCores;
}

/** Runs one plan in a fresh load-generator process. */
function runLoad(plan: LoadPlan, servers: CpuGroups): Promise<MeasuredRun> {
  const child = forkTypeScript('load-generator.ts');
  const groups: CpuGroups = { ...servers, loadGenerator: [child.pid!] };
  let closeWindow: (() => Record<string, number | null>) | undefined;
  let cpuCores: CpuCores = {};
  return new Promise<MeasuredRun>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new LoadRunError(`${plan.workload}/${plan.clients} did not finish`));
      },
      plan.warmupMs + plan.durationMs + LOAD_RUN_SLACK_MS,
    );
    child.on('message', (message: LoadMessage) => {
      if (message.kind === 'window-open') closeWindow = startCpuWindow(groups);
      if (message.kind === 'window-closed' && closeWindow) cpuCores = closeWindow();
      if (message.kind === 'result') {
        clearTimeout(timer);
        resolve({ result: message.result, cpuCores });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new LoadRunError(`${plan.workload}/${plan.clients}: load generator exited ${code}`));
    });
    child.send(plan);
  });
}

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

/** One cluster with one sync policy: echo, write and read at every client count. */
async function runPass(
  options: BenchOptions,
  sync: SyncPolicy,
  echoServer: EchoServer,
  progress: (text: string) => void,
): Promise<ReportRow[]> {
  const cluster = await BenchCluster.start({
    syncPolicy: sync,
    profileDir: options.profileDir,
  });
  const rows: ReportRow[] = [];
  let keyCount = 0;
  try {
    for (const clients of options.clients) {
      const plan = (workload: WorkloadName): LoadPlan => ({
        workload,
        address: workload === 'echo' ? echoServer.address : cluster.coordinatorAddress,
        clients,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        keyOffset: keyCount,
        keyCount,
      });
      progress(`sync=${sync}: ${options.workloads.join(', ')} at ${clients} clients`);
      const runs: MeasuredRun[] = [];
      for (const workload of options.workloads) {
        const servers: CpuGroups =
          workload === 'echo'
            ? { server: [echoServer.pid] }
            : { server: cluster.pids.coordinator, storageNodes: cluster.pids.storageNodes };
        const run = await runLoad(plan(workload), servers);
        if (workload === 'write') keyCount = run.result.nextKeyIndex;
        runs.push(run);
      }
      const echo = runs.find((run) => run.result.workload === 'echo')?.result;
      rows.push(...runs.map((run) => reportRow(run.result, run.cpuCores, echo, sync)));
    }
  } finally {
    await cluster.stop();
  }
  return rows;
}

function setupOf(options: BenchOptions): Omit<BenchSetup, 'loadAverageAtEnd'> {
  return {
    storageNodes: STORAGE_NODE_COUNT,
    replicationFactor: REPLICATION_FACTOR,
    consistency: BENCH_CONSISTENCY,
    keyBytes: KEY_BYTES,
    valueBytes: VALUE_BYTES,
    echoPayloadBytes: echoPayloadBytes(),
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    cpus: cpus().length,
    nodeVersion: process.version,
    loadAverageAtStart: loadavg()[0]!,
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
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const setup = setupOf(options);
  const echo = await startEchoServer();
  const rows: ReportRow[] = [];
  try {
    for (const sync of options.syncPolicies) {
      rows.push(...(await runPass(options, sync, echo, progress)));
    }
  } finally {
    echo.stop();
  }
  const report: BenchReport = {
    setup: { ...setup, loadAverageAtEnd: loadavg()[0]! },
    rows,
    targets: targetChecks(rows),
  };
  console.log(options.json ? JSON.stringify(report) : formatTable(report));
  if (options.profileDir) {
    const profiles = readdirSync(options.profileDir).filter((f) => f.endsWith('.cpuprofile'));
    progress(`CPU profiles in ${path.resolve(options.profileDir)}: ${profiles.join(' ')}`);
  }
}

process.on('SIGINT', () => process.exit(130));
main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
