// Anti-entropy benchmark (docs/benchmarks.md#anti-entropy-healing-a-wiped-node): 3 storage nodes
// and a tenant at replication factor 3 holding 20,000 keys of 1 KiB (PAIRDB_BENCH_ANTI_ENTROPY_KEYS),
// written at ALL. Printed, never asserted:
// 0. unchanged replicas: the duration of passes after the load, once a first pass has seen the
//    load's changes (storage nodes answer digests from their incremental digest index);
// 1. healing: one node is SIGKILLed, its data directory deleted and the node started again
//    empty; the time until it holds every key again, read by ScanRange on that node only (no
//    client read, so no read repair), and the keys and MB per second that makes; once paced (the
//    default duty_cycle unless PAIRDB_BENCH_ANTI_ENTROPY_DUTY_CYCLE is set) and once unpaced;
// 2. foreground cost: closed-loop QUORUM writes with anti-entropy passes running back to back
//    (a pass interval of 100 ms unless set), paced as above and unpaced
//    (duty_cycle 1), each as a ratio of the same load with anti-entropy disabled, in alternating
//    runs (off, paced, unpaced, off, ...) on the same cluster; the target in
//    docs/architecture.md#anti-entropy is >= 0.9.
// The coordinator's pass logs (ranges compared, buckets differing, keys repaired, duration) are
// printed with both, to say where the time goes. Every process runs its production bundle
// (apps/*/dist/main.js), `sync=always`, on 127.0.0.1 with free ports; the load runs in this
// process, so its CPU is shared with the servers on a small machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { coordinatorV1, storageV1 } from '@pairdb/proto';
import {
  coordinatorProcess,
  freePort,
  storageNodeDataDir,
  storageNodeProcess,
  type ServiceProcess,
} from '../coordinator/cluster';
import {
  addStorageNode,
  BENCH_VALUE_BYTES,
  closedLoopWrites,
  createTenant,
  loadKeys,
  type CoordinatorClient,
} from '../coordinator/coordinator-calls';
import { startCpuWindow, type CpuGroups } from '../coordinator/process-cpu';

const KEYS = Number(process.env['PAIRDB_BENCH_ANTI_ENTROPY_KEYS'] ?? 20_000);
/** Off/on pairs of the foreground comparison. */
const PAIRS = Number(process.env['PAIRDB_BENCH_ANTI_ENTROPY_PAIRS'] ?? 2);
const TENANT = { tenantId: 'bench-rf3', replicationFactor: 3 };
const CLIENTS = 16;
/** The paced duty cycle; unset: the coordinator's default (config.ts). */
const DUTY_CYCLE = process.env['PAIRDB_BENCH_ANTI_ENTROPY_DUTY_CYCLE'];
const PACED = DUTY_CYCLE === undefined ? 'duty_cycle default' : `duty_cycle ${DUTY_CYCLE}`;
const PACED_SETTINGS: Record<string, string> =
  DUTY_CYCLE === undefined ? {} : { PAIRDB_ANTI_ENTROPY_DUTY_CYCLE: DUTY_CYCLE };
/** How a wiped node is healed: paced (the defaults unless set), then without pacing. */
const HEALS: ReadonlyArray<{ readonly label: string; readonly settings: Record<string, string> }> =
  [
    { label: `paced (pass_interval 10s, ${PACED})`, settings: PACED_SETTINGS },
    {
      label: 'pacing off (pass_interval 10s, duty_cycle 1)',
      settings: { PAIRDB_ANTI_ENTROPY_DUTY_CYCLE: '1' },
    },
  ];
/**
 * During the foreground comparison: passes back to back, the shortest interval config allows
 * (PAIRDB_BENCH_ANTI_ENTROPY_PASS_INTERVAL, e.g. 10s, measures a duty cycle instead).
 */
const FOREGROUND_PASS_INTERVAL = process.env['PAIRDB_BENCH_ANTI_ENTROPY_PASS_INTERVAL'] ?? '100ms';
/** Between the passes timed over unchanged replicas. */
const UNCHANGED_PASS_INTERVAL = '1s';
const WARMUP_MS = 3_000;
const WINDOW_MS = 15_000;
const HEAL_TIMEOUT_MS = 10 * 60_000;
/** Passes over unchanged replicas reported after the load. */
const UNCHANGED_PASSES = 3;
/** Pause between two ScanRange counts of the wiped node. */
const INSPECT_EVERY_MS = 500;
/** After the node holds every key, how long to wait for the pass that repaired it to log. */
const PASS_LOG_WAIT_MS = 60_000;
/** A ring version above any the cluster reaches: the inspection passes the node's fence. */
const INSPECTION_RING_VERSION = 1n << 40n;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the coordinator logs at the end of each pass (anti-entropy-runner.ts). */
interface PassLog {
  readonly msg: string;
  readonly time: number;
  readonly rangesCompared: number;
  readonly rangesIncomplete: number;
  readonly bucketsDiffering: number;
  readonly keysRepaired: number;
  readonly durationMs: number;
}

const PASS_END_MESSAGES = ['anti-entropy pass completed', 'anti-entropy pass ended incomplete'];

interface StorageNode {
  readonly nodeId: string;
  readonly port: number;
  readonly process: ServiceProcess;
}

/** The coordinator, restarted with other anti-entropy settings between phases. */
class Coordinator {
  process: ServiceProcess | undefined;
  client: CoordinatorClient | undefined;
  readonly passes: PassLog[] = [];

  constructor(private readonly root: string) {}

  async start(settings: Record<string, string>): Promise<CoordinatorClient> {
    await this.stop();
    const started = coordinatorProcess(this.root, settings);
    started.onLog((record) => {
      if (PASS_END_MESSAGES.includes(String(record['msg']))) {
        this.passes.push(record as unknown as PassLog);
      }
    });
    this.process = started;
    const ready = await started.start('"coordinator serving"');
    this.client = new coordinatorV1.CoordinatorServiceClient(
      `127.0.0.1:${String(ready['grpcPort'])}`,
      credentials.createInsecure(),
    );
    return this.client;
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.process?.stop();
  }
}

/** The foreground comparison's three modes, run in turn on the same cluster. */
type Mode = 'off' | 'paced' | 'unpaced';
const MODES: readonly Mode[] = ['off', 'paced', 'unpaced'];

function modeSettings(mode: Mode): Record<string, string> {
  if (mode === 'off') return { PAIRDB_ANTI_ENTROPY_ENABLED: 'false' };
  return {
    PAIRDB_ANTI_ENTROPY_ENABLED: 'true',
    PAIRDB_ANTI_ENTROPY_PASS_INTERVAL: FOREGROUND_PASS_INTERVAL,
    ...(mode === 'unpaced' ? { PAIRDB_ANTI_ENTROPY_DUTY_CYCLE: '1' } : PACED_SETTINGS),
  };
}

/** Keys of the tenant the node stores, counted by one ScanRange of the whole ring. */
async function storedKeyCount(port: number): Promise<number> {
  const client = new storageV1.StorageServiceClient(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  );
  let count = 0;
  try {
    const call = client.scanRange(
      storageV1.ScanRangeRequest.fromPartial({
        range: { start: 0n, end: 0n },
        tenantId: TENANT.tenantId,
        ringVersion: INSPECTION_RING_VERSION,
      }),
    );
    for await (const page of call as AsyncIterable<storageV1.ScanRangeResponse>) {
      count += page.entries.length;
    }
  } finally {
    client.close();
  }
  return count;
}

async function startStorageNode(root: string, nodeId: string): Promise<StorageNode> {
  const port = await freePort();
  const process = storageNodeProcess(root, nodeId, port, 'always');
  await process.start('"storage node serving"');
  return { nodeId, port, process };
}

/**
 * The passes that began after the load and after a first full pass (which may still find range
 * edges changed by the load): what each pass costs on replicas nothing changes.
 */
async function unchangedPasses(coordinator: Coordinator): Promise<PassLog[]> {
  const loadedAtUnixMs = Date.now();
  const deadline = performance.now() + PASS_LOG_WAIT_MS;
  const after = () => coordinator.passes.filter((pass) => pass.time >= loadedAtUnixMs);
  while (after().length < UNCHANGED_PASSES + 2 && performance.now() < deadline) await sleep(200);
  return after().slice(2);
}

interface HealResult {
  readonly secondsFromKill: number;
  readonly secondsFromRestart: number;
  /** The passes that ended between the restart and the pass that left the node whole. */
  readonly passes: PassLog[];
}

async function healWipedNode(
  root: string,
  wiped: StorageNode,
  coordinator: Coordinator,
): Promise<HealResult> {
  const killed = performance.now();
  await wiped.process.kill();
  rmSync(storageNodeDataDir(root, wiped.nodeId), { recursive: true, force: true });
  await wiped.process.start('"storage node serving"');
  const restarted = performance.now();
  const restartedAtUnixMs = Date.now();
  let stored = 0;
  while (stored < KEYS) {
    if (performance.now() - restarted > HEAL_TIMEOUT_MS) {
      throw new Error(
        `${wiped.nodeId} holds ${stored} of ${KEYS} keys after ${HEAL_TIMEOUT_MS} ms`,
      );
    }
    await sleep(INSPECT_EVERY_MS);
    stored = await storedKeyCount(wiped.port);
  }
  const healed = performance.now();
  // The pass that repaired the last keys logs once it has compared every range.
  const logWait = performance.now();
  const repairedAll = () =>
    coordinator.passes
      .filter((pass) => pass.time >= restartedAtUnixMs)
      .reduce((sum, pass) => sum + pass.keysRepaired, 0) >= KEYS;
  while (!repairedAll() && performance.now() - logWait < PASS_LOG_WAIT_MS) await sleep(200);
  return {
    secondsFromKill: (healed - killed) / 1_000,
    secondsFromRestart: (healed - restarted) / 1_000,
    passes: coordinator.passes.filter((pass) => pass.time >= restartedAtUnixMs),
  };
}

interface ForegroundRun {
  readonly mode: Mode;
  readonly writesPerSecond: number;
  readonly errors: number;
  readonly coordinatorCores: string;
  readonly storageNodeCores: string;
  /** Passes that ended inside the measured window. */
  readonly passes: PassLog[];
}

async function foregroundRun(
  coordinator: Coordinator,
  nodes: readonly StorageNode[],
  mode: Mode,
): Promise<ForegroundRun> {
  const client = await coordinator.start(modeSettings(mode));
  const load = { tenantId: TENANT.tenantId, clients: CLIENTS, keyCount: KEYS };
  await closedLoopWrites(client, { ...load, until: sleep(WARMUP_MS) });
  const cpuGroups: CpuGroups = {
    coordinator: [coordinator.process!.pid!],
    'storage nodes': nodes.map((node) => node.process.pid!),
  };
  const openedAtUnixMs = Date.now();
  const endCpu = startCpuWindow(cpuGroups);
  const measured = await closedLoopWrites(client, { ...load, until: sleep(WINDOW_MS) });
  const cpu = endCpu();
  return {
    mode,
    writesPerSecond: measured.writesPerSecond,
    errors: measured.errors,
    coordinatorCores: cores(cpu['coordinator']),
    storageNodeCores: cores(cpu['storage nodes']),
    passes: coordinator.passes.filter((pass) => pass.time >= openedAtUnixMs),
  };
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'pairdb-anti-entropy-bench-'));
  const nodes: StorageNode[] = [];
  const coordinator = new Coordinator(root);
  const loadAverages = [loadavg()[0]!];
  try {
    for (const nodeId of ['node-1', 'node-2', 'node-3']) {
      nodes.push(await startStorageNode(root, nodeId));
    }
    const client = await coordinator.start(modeSettings('off'));
    for (const node of nodes) await addStorageNode(client, node);
    await createTenant(client, TENANT);
    process.stdout.write(`loading ${KEYS} keys of ${BENCH_VALUE_BYTES} bytes at ALL...\n`);
    await loadKeys(client, TENANT.tenantId, KEYS, 'all');
    // Unpaced, so a pass's duration is its work alone.
    await coordinator.start({
      PAIRDB_ANTI_ENTROPY_ENABLED: 'true',
      PAIRDB_ANTI_ENTROPY_PASS_INTERVAL: UNCHANGED_PASS_INTERVAL,
      PAIRDB_ANTI_ENTROPY_DUTY_CYCLE: '1',
    });
    const unchanged = await unchangedPasses(coordinator);
    printRows(
      `passes over unchanged replicas (pass interval ${UNCHANGED_PASS_INTERVAL}, unpaced)`,
      [['mean duration, ms', meanDuration(unchanged)], ...unchanged.map((pass) => passRow(pass))],
    );

    const healRows: [string, string][] = [];
    for (const heal of HEALS) {
      await coordinator.start(heal.settings);
      process.stdout.write(`wiping node-1, healing with ${heal.label}...\n`);
      const result = await healWipedNode(root, nodes[0]!, coordinator);
      healRows.push(...healedRows(heal.label, result));
    }
    loadAverages.push(loadavg()[0]!);
    printRows(`healing a wiped node holding ${KEYS} keys`, healRows);

    const runs: ForegroundRun[] = [];
    for (let pair = 1; pair <= PAIRS; pair++) {
      for (const mode of MODES) {
        process.stdout.write(`foreground run ${pair}, anti-entropy ${mode}...\n`);
        runs.push(await foregroundRun(coordinator, nodes, mode));
      }
    }
    loadAverages.push(loadavg()[0]!);
    const rate = (mode: Mode) => {
      const matching = runs.filter((run) => run.mode === mode);
      return matching.reduce((sum, run) => sum + run.writesPerSecond, 0) / matching.length;
    };
    printRows(
      `QUORUM writes, ${CLIENTS} clients, ${WINDOW_MS / 1_000} s windows ` +
        `(pass interval ${FOREGROUND_PASS_INTERVAL} when on)`,
      [
        ...runs.map((run, index): [string, string] => [
          `run ${index + 1}, anti-entropy ${run.mode.padEnd(7)}`,
          `${run.writesPerSecond.toFixed(0)} writes/s, ${run.errors} errors, cores ` +
            `coordinator ${run.coordinatorCores} nodes ${run.storageNodeCores}, ` +
            `${run.passes.length} passes ended` +
            (run.passes.length > 0 ? ` (mean ${meanDuration(run.passes)} ms)` : ''),
        ]),
        ...MODES.map((mode): [string, string] => [`mean writes/s, ${mode}`, rate(mode).toFixed(0)]),
        [`paced / off (${PACED}; target >= 0.9)`, (rate('paced') / rate('off')).toFixed(2)],
        ['unpaced / off (duty_cycle 1)', (rate('unpaced') / rate('off')).toFixed(2)],
        ...runs
          .filter((run) => run.mode !== 'off')
          .flatMap((run) => run.passes.slice(0, 1).map((pass) => passRow(pass, run.mode))),
      ],
    );
    printRows('machine', [
      [
        'load average (1 min) at start / after healing / at end',
        loadAverages.map((load) => load.toFixed(1)).join(' / '),
      ],
    ]);
  } finally {
    await coordinator.stop();
    for (const node of nodes) await node.process.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

function healedRows(label: string, heal: HealResult): [string, string][] {
  const keysRepaired = heal.passes.reduce((sum, pass) => sum + pass.keysRepaired, 0);
  const megabytes = (KEYS * BENCH_VALUE_BYTES) / 1_000_000;
  return [
    [label, ''],
    ['  seconds from SIGKILL to every key back', heal.secondsFromKill.toFixed(1)],
    ['  seconds from restart (serving) to every key back', heal.secondsFromRestart.toFixed(1)],
    ['  keys/s repaired (from restart)', (KEYS / heal.secondsFromRestart).toFixed(0)],
    ['  MB/s of values repaired (from restart)', (megabytes / heal.secondsFromRestart).toFixed(2)],
    ['  keys repaired, all owners (pass logs)', String(keysRepaired)],
    ...heal.passes.map((pass) => passRow(pass)),
  ];
}

function passRow(pass: PassLog, mode = ''): [string, string] {
  const outcome = pass.msg === PASS_END_MESSAGES[0] ? 'pass' : 'incomplete pass';
  return [
    `  ${mode ? `${mode} ` : ''}${outcome}`,
    `${pass.durationMs} ms, ${pass.rangesCompared} ranges compared` +
      (pass.rangesIncomplete > 0 ? ` (${pass.rangesIncomplete} incomplete)` : '') +
      `, ${pass.bucketsDiffering} buckets differing, ${pass.keysRepaired} keys repaired`,
  ];
}

function meanDuration(passes: readonly PassLog[]): string {
  return (passes.reduce((sum, pass) => sum + pass.durationMs, 0) / passes.length).toFixed(0);
}

function printRows(title: string, rows: readonly [string, string][]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  process.stdout.write(`\n${title}\n${lines.join('\n')}\n`);
}

function cores(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : value.toFixed(2);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
