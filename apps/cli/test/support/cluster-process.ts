// A local cluster started the way a user starts one (`pairdb cluster start ...` or
// `npm start -- ...`), in its own process group like a terminal's foreground job, so a test
// can press "Ctrl-C" by sending SIGINT to the whole group.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { clusterPorts, portArgs, type TestPorts } from './ports';

export const RUNNING_BANNER = 'PairDB is running.';
/** Fresh PGlite on a busy 2-core machine: the slowest part of starting. */
export const CLUSTER_START_TIMEOUT_MS = 90_000;
/** How long a cleanup waits for a graceful stop before killing. */
const GRACEFUL_STOP_MS = 20_000;

export interface ClusterStateFile {
  supervisorPid: number;
  coordinator: { pid: number };
  nodes: { name: string; pid: number }[];
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ClusterProcess {
  output = '';
  readonly exited: Promise<ExitStatus>;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Spawns `command args` (in its own process group) and waits for the running banner. */
  static async start(
    command: string,
    args: readonly string[],
    dataDir: string,
    cwd?: string,
    env: Readonly<Record<string, string>> = {},
  ) {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, PAIRDB_PG_URL: '', PAIRDB_REDIS_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const cluster = new ClusterProcess(child, dataDir);
    try {
      await cluster.waitForOutput(RUNNING_BANNER, CLUSTER_START_TIMEOUT_MS);
    } catch (error) {
      await cluster.kill();
      throw error;
    }
    return cluster;
  }

  async waitForOutput(text: string | RegExp, timeoutMs: number, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const seen = () =>
      typeof text === 'string'
        ? this.output.indexOf(text, from) >= 0
        : text.test(this.output.slice(from));
    let done = false;
    void this.exited.then(() => (done = true));
    while (!seen()) {
      if (done) throw new Error(`cluster exited before printing ${text}:\n${this.output}`);
      if (Date.now() > deadline)
        throw new Error(`no ${text} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  state(): ClusterStateFile {
    return JSON.parse(
      readFileSync(path.join(this.dataDir, 'cluster.json'), 'utf8'),
    ) as ClusterStateFile;
  }

  /** Every pid the cluster consists of, supervisor included. */
  pids(): number[] {
    const state = this.state();
    return [state.supervisorPid, state.coordinator.pid, ...state.nodes.map((node) => node.pid)];
  }

  /** Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group. */
  async interrupt(): Promise<ExitStatus> {
    this.signalGroup('SIGINT');
    return this.exited;
  }

  /** Cleanup after a failed test: a graceful stop first, then SIGKILL for whatever is left. */
  async kill(): Promise<void> {
    let pids: number[] = [];
    try {
      pids = this.pids();
    } catch {
      // No state file yet: the process group is all there is.
    }
    this.signalGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>(
        (resolve) => (timer = setTimeout(() => resolve(false), GRACEFUL_STOP_MS)),
      ),
    ]);
    clearTimeout(timer);
    if (!stopped) this.signalGroup('SIGKILL');
    for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
    await this.exited;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // Already gone.
    }
  }
}

/** GET without keep-alive (a pooled socket would hold the test process open). */
export function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `pairdb cluster start` of the built CLI (`cliMain`) with `nodes` storage nodes on free ports and
 * its data in a new temp dir named after `dirPrefix`; the caller stops it and removes the dir.
 * `env` reaches every process of the cluster (PAIRDB_* settings).
 */
export async function startBundledCluster(
  cliMain: string,
  nodes: number,
  dirPrefix: string,
  env: Readonly<Record<string, string>> = {},
): Promise<{ ports: TestPorts; dataDir: string; cluster: ClusterProcess }> {
  const ports = await clusterPorts(nodes);
  const dataDir = mkdtempSync(path.join(tmpdir(), dirPrefix));
  const cluster = await ClusterProcess.start(
    process.execPath,
    [cliMain, 'cluster', 'start', '--nodes', String(nodes), '--data-dir', dataDir].concat(
      portArgs(ports),
    ),
    dataDir,
    undefined,
    env,
  );
  return { ports, dataDir, cluster };
}
