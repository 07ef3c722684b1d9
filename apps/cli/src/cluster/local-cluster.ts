// The supervisor behind `pairdb cluster start` (and `npm start`): runs one coordinator and N
// storage nodes as separate processes on 127.0.0.1, registers the nodes and the `default`
// tenant, reports health as it changes, and stops everything on Ctrl-C / SIGTERM / SIGHUP.
//
// Start order: storage nodes (until /readyz), the coordinator (until /healthz), registration
// (cluster-bootstrap.ts), then the coordinator's /readyz (it needs a ring).
// Stop order: the coordinator first (no new requests), then the storage nodes; each gets one
// SIGTERM and drains; after STOP_TIMEOUT_MS it is killed. A second Ctrl-C kills at once.
//
// A child that dies unexpectedly is reported with its last output and restarted after
// RESTART_DELAY_MS; more than RESTARTS_MAX deaths of one process within RESTART_WINDOW_MS (or
// any death with restarts off) stop the whole cluster, and the supervisor exits 1.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { PairDBClient } from '@pairdb/client';
import { CommandError, EXIT_FAILURE, EXIT_OK } from '../exit-codes';
import type { AppBundles } from './app-bundles';
import { renderBanner } from './banner';
import { bootstrapCluster } from './cluster-bootstrap';
import { LOOPBACK_HOST, portsOf, type ClusterLayout } from './cluster-layout';
import { isAlive, readState, removeState, writeState } from './cluster-state-file';
import { describeExit, ManagedProcess, type ExitInfo } from './managed-process';
import { assertPortsFree } from './port-check';
import { probeHttp, waitUntilHealthy } from './readiness';

/** Longer than a child's own 30 s drain timeout, so a drain is never cut short by us. */
export const STOP_TIMEOUT_MS = 40_000;
export const RESTART_DELAY_MS = 1_000;
export const RESTARTS_MAX = 3;
export const RESTART_WINDOW_MS = 60_000;
/** How often a running cluster's health endpoints are polled for changes. */
export const HEALTH_POLL_MS = 2_000;
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface LocalClusterOptions {
  readonly layout: ClusterLayout;
  readonly bundles: AppBundles;
  readonly pgUrl?: string;
  readonly redisUrl?: string;
  /** Of the `default` tenant when it is created. */
  readonly replicationFactor: number;
  readonly restart: boolean;
  readonly startTimeoutMs: number;
  /** Where progress lines go (stdout in the CLI). */
  readonly out: (line: string) => void;
}

export class LocalCluster {
  private readonly coordinator: ManagedProcess;
  private readonly nodes: ManagedProcess[];
  private readonly deaths = new Map<string, number[]>();
  private readonly healthy = new Map<string, boolean>();
  private readonly onSignal = (signal: NodeJS.Signals) => void this.stop(`received ${signal}`);
  /** If the supervisor itself dies, its children still get their SIGTERM and drain. */
  private readonly onExit = () => this.all().forEach((child) => child.running && child.stop());
  private stopping: Promise<number> | undefined;
  private resolveFinished: (code: number) => void = () => undefined;
  private readonly finished = new Promise<number>((resolve) => (this.resolveFinished = resolve));
  private failed = false;
  private monitor: NodeJS.Timeout | undefined;
  private startedAtUnixMs = 0;

  constructor(private readonly options: LocalClusterOptions) {
    const { layout } = options;
    const report = (name: string, message: string) => options.out(`  ! ${name}: ${message}`);
    this.nodes = layout.nodes.map(
      (node) =>
        new ManagedProcess(
          {
            name: node.name,
            script: options.bundles.storageNode,
            logFile: path.join(layout.logDir, `${node.name}.log`),
            env: {
              PAIRDB_NODE_ID: node.name,
              PAIRDB_DATA_DIR: node.dataDir,
              PAIRDB_SERVER_HOST: LOOPBACK_HOST,
              PAIRDB_SERVER_PORT: String(node.grpc),
              PAIRDB_HTTP_HOST: LOOPBACK_HOST,
              PAIRDB_HTTP_PORT: String(node.http),
              PAIRDB_LOGGING_FORMAT: 'json',
            },
          },
          report,
        ),
    );
    this.coordinator = new ManagedProcess(
      {
        name: layout.coordinator.name,
        script: options.bundles.coordinator,
        logFile: path.join(layout.logDir, `${layout.coordinator.name}.log`),
        env: this.coordinatorEnv(),
      },
      report,
    );
  }

  /** Starts the cluster and runs it until stopped; resolves to the exit code. */
  async run(): Promise<number> {
    this.prepare();
    await assertPortsFree(portsOf(this.options.layout));
    for (const signal of SIGNALS) process.on(signal, this.onSignal);
    process.on('exit', this.onExit);
    try {
      await this.startAll();
    } catch (error) {
      if (this.stopping) return this.finished;
      await this.stop('start-up failed', true);
      throw error;
    }
    if (!this.stopping) this.monitor = setInterval(() => void this.pollHealth(), HEALTH_POLL_MS);
    return this.finished;
  }

  /** Stops every process (coordinator first); resolves to the supervisor's exit code. */
  stop(reason: string, quiet = false): Promise<number> {
    if (this.stopping) {
      this.options.out(`${reason} again: killing every process now`);
      for (const child of this.all()) void child.stop('SIGKILL');
      return this.stopping;
    }
    if (!quiet) this.options.out(`\n${reason}: stopping the cluster (coordinator first)`);
    this.stopping = this.stopAll();
    void this.stopping.then(this.resolveFinished);
    return this.stopping;
  }

  private prepare(): void {
    const { layout } = this.options;
    mkdirSync(layout.logDir, { recursive: true });
    const state = readState(layout.dataDir);
    if (state && state.supervisorPid !== process.pid && isAlive(state.supervisorPid)) {
      throw new CommandError(
        `a cluster is already running from ${layout.dataDir} (supervisor pid ` +
          `${state.supervisorPid}): stop it with Ctrl-C in its terminal or ` +
          `\`pairdb cluster stop --data-dir ${layout.dataDir}\``,
      );
    }
  }

  private coordinatorEnv(): Record<string, string> {
    const c = this.options.layout.coordinator;
    return {
      PAIRDB_NODE_ID: c.name,
      PAIRDB_DATA_DIR: c.dataDir,
      PAIRDB_SERVER_HOST: LOOPBACK_HOST,
      PAIRDB_SERVER_PORT: String(c.grpc),
      PAIRDB_HTTP_HOST: LOOPBACK_HOST,
      PAIRDB_HTTP_PORT: String(c.http),
      PAIRDB_METRICS_HOST: LOOPBACK_HOST,
      PAIRDB_METRICS_PORT: String(c.metrics),
      PAIRDB_LOGGING_FORMAT: 'json',
      // Empty means embedded PGlite / the in-process cache, overriding any inherited value.
      PAIRDB_PG_URL: this.options.pgUrl ?? '',
      PAIRDB_REDIS_URL: this.options.redisUrl ?? '',
    };
  }

  private async startAll(): Promise<void> {
    const { layout, out } = this.options;
    this.startedAtUnixMs = Date.now();
    out(
      `PairDB local cluster: 1 coordinator + ${layout.nodes.length} storage nodes, ` +
        `data in ${layout.dataDir}`,
    );
    out(`  metadata: ${this.describeMetadata()}; idempotency: ${this.describeIdempotency()}`);
    await Promise.all(
      this.nodes.map((node, index) =>
        this.startProcess(node, `http://${LOOPBACK_HOST}:${layout.nodes[index]!.http}/readyz`),
      ),
    );
    if (this.stopping) return;
    const c = layout.coordinator;
    await this.startProcess(this.coordinator, `http://${LOOPBACK_HOST}:${c.http}/healthz`);
    if (this.stopping) return;
    await this.bootstrap();
    await this.waitHealthy(this.coordinator, `http://${LOOPBACK_HOST}:${c.http}/readyz`);
    out(`  ✓ ${c.name} ready: ${layout.nodes.length} storage nodes in the ring`);
    this.saveState();
    out(renderBanner(layout));
  }

  private async startProcess(child: ManagedProcess, url: string): Promise<void> {
    const started = Date.now();
    child.start();
    const exited = child.exited;
    void exited.then((info) => this.onChildExit(child, exited, info));
    await this.waitHealthy(child, url);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    this.healthy.set(child.spec.name, true);
    this.options.out(`  ✓ ${child.spec.name} up in ${seconds} s (pid ${child.pid})`);
  }

  private waitHealthy(child: ManagedProcess, url: string): Promise<void> {
    return waitUntilHealthy({
      name: child.spec.name,
      url,
      timeoutMs: this.options.startTimeoutMs,
      exited: child.exited,
      lastOutput: () => child.lastOutput(),
    });
  }

  private async bootstrap(): Promise<void> {
    const { layout, out } = this.options;
    const client = new PairDBClient({ address: `${LOOPBACK_HOST}:${layout.coordinator.grpc}` });
    try {
      const report = await bootstrapCluster(client, layout.nodes, this.options.replicationFactor);
      for (const line of report.lines) out(`  ${line}`);
      for (const warning of report.warnings) out(`  ! ${warning}`);
    } finally {
      client.close();
    }
  }

  private onChildExit(child: ManagedProcess, run: Promise<ExitInfo>, info: ExitInfo): void {
    // Only the current run of a process matters, and nothing while stopping.
    if (this.stopping || run !== child.exited) return;
    const name = child.spec.name;
    this.healthy.set(name, false);
    this.options.out(`  ✗ ${name} exited unexpectedly (${describeExit(info)}); last output:`);
    for (const line of child.lastOutput()) this.options.out(`      ${line}`);
    const now = Date.now();
    const recent = (this.deaths.get(name) ?? []).filter((at) => now - at < RESTART_WINDOW_MS);
    recent.push(now);
    this.deaths.set(name, recent);
    if (!this.options.restart || recent.length > RESTARTS_MAX) {
      this.failed = true;
      const why = this.options.restart
        ? `${name} died ${recent.length} times within ${RESTART_WINDOW_MS / 1000} s`
        : `${name} died and restarts are off`;
      void this.stop(why);
      return;
    }
    this.options.out(`  restarting ${name} in ${RESTART_DELAY_MS / 1000} s`);
    setTimeout(() => void this.restart(child), RESTART_DELAY_MS);
  }

  private async restart(child: ManagedProcess): Promise<void> {
    if (this.stopping) return;
    const { layout } = this.options;
    const node = layout.nodes.find((n) => n.name === child.spec.name);
    const url = node
      ? `http://${LOOPBACK_HOST}:${node.http}/readyz`
      : `http://${LOOPBACK_HOST}:${layout.coordinator.http}/readyz`;
    try {
      await this.startProcess(child, url);
      this.saveState();
    } catch (error) {
      if (this.stopping) return;
      this.options.out(`  ✗ ${(error as Error).message}`);
      // A failed start counts as another death: the exit handler decides what comes next.
      if (child.running) void child.stop('SIGKILL');
    }
  }

  private async pollHealth(): Promise<void> {
    const { layout } = this.options;
    const targets: [ManagedProcess, number][] = [
      [this.coordinator, layout.coordinator.http],
      ...this.nodes.map((node, index): [ManagedProcess, number] => [
        node,
        layout.nodes[index]!.http,
      ]),
    ];
    await Promise.all(
      targets.map(async ([child, port]) => {
        if (!child.running || this.stopping) return;
        const probe = await probeHttp(`http://${LOOPBACK_HOST}:${port}/readyz`);
        const name = child.spec.name;
        if (probe.ok === this.healthy.get(name) || this.stopping || !child.running) return;
        this.healthy.set(name, probe.ok);
        this.options.out(
          probe.ok ? `  ✓ ${name} ready again` : `  ! ${name} not ready: ${probe.body}`,
        );
      }),
    );
  }

  private async stopAll(): Promise<number> {
    if (this.monitor) clearInterval(this.monitor);
    let clean = await this.stopProcesses([this.coordinator]);
    clean = (await this.stopProcesses(this.nodes)) && clean;
    removeState(this.options.layout.dataDir);
    for (const signal of SIGNALS) process.removeListener(signal, this.onSignal);
    process.removeListener('exit', this.onExit);
    const code = this.failed || !clean ? EXIT_FAILURE : EXIT_OK;
    this.options.out(code === EXIT_OK ? 'stopped cleanly' : 'stopped, with failures (exit 1)');
    return code;
  }

  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; true when every process exited with 0. */
  private async stopProcesses(processes: readonly ManagedProcess[]): Promise<boolean> {
    const results = await Promise.all(
      processes.map(async (child) => {
        if (!child.running) return true;
        const timer = setTimeout(() => void child.stop('SIGKILL'), STOP_TIMEOUT_MS);
        const info = await child.stop('SIGTERM');
        clearTimeout(timer);
        const ok = info.code === 0;
        this.options.out(`  ${ok ? '✓' : '✗'} ${child.spec.name} stopped (${describeExit(info)})`);
        return ok;
      }),
    );
    return results.every(Boolean);
  }

  private saveState(): void {
    const { layout } = this.options;
    const c = layout.coordinator;
    writeState({
      supervisorPid: process.pid,
      startedAtUnixMs: this.startedAtUnixMs,
      dataDir: layout.dataDir,
      coordinator: {
        name: c.name,
        pid: this.coordinator.pid,
        grpcAddress: `${LOOPBACK_HOST}:${c.grpc}`,
        httpPort: c.http,
        metricsPort: c.metrics,
      },
      nodes: layout.nodes.map((node, index) => ({
        name: node.name,
        pid: this.nodes[index]!.pid,
        grpcAddress: `${LOOPBACK_HOST}:${node.grpc}`,
        httpPort: node.http,
      })),
    });
  }

  private all(): ManagedProcess[] {
    return [this.coordinator, ...this.nodes];
  }

  private describeMetadata(): string {
    return this.options.pgUrl
      ? `PostgreSQL at ${redactUrl(this.options.pgUrl)}`
      : `embedded PostgreSQL (PGlite) in ${path.join(this.options.layout.coordinator.dataDir, 'metadata')}`;
  }

  private describeIdempotency(): string {
    return this.options.redisUrl
      ? `Redis at ${redactUrl(this.options.redisUrl)}`
      : 'in-process cache (lost on coordinator restart)';
  }
}

/** A URL without its password, for printing. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
