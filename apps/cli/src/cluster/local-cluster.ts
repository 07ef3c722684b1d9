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
//
// The cluster grows and shrinks while it runs (docs/architecture.md#the-pairdb-command): on a
// request over its control channel (supervisor-control.ts, from `pairdb node add --start`) it
// starts the next storage node and registers it (AddStorageNode, which starts the node_addition
// migration); and every HEALTH_POLL_MS it stops the nodes the coordinator lists as inactive,
// that is, whose removal migration completed (however it was asked for), or whose addition
// failed. Either way node-roster.ts records the nodes it runs, so the next start runs them again.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import {
  AlreadyExistsError,
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PairDBClient,
} from '@pairdb/client';
import { CommandError, EXIT_FAILED_PRECONDITION, EXIT_FAILURE, EXIT_OK } from '../exit-codes';
import { isFinished, migrationSubject } from '../migration/migration-text';
import type { AppBundles } from './app-bundles';
import { renderBanner } from './banner';
import { bootstrapCluster } from './cluster-bootstrap';
import {
  LOOPBACK_HOST,
  nextStorageNodeIndex,
  portsOf,
  storageNodeIndex,
  withoutStorageNode,
  withStorageNode,
  type ClusterLayout,
  type StorageNodeLayout,
} from './cluster-layout';
import { isAlive, readState, removeState, writeState } from './cluster-state-file';
import { describeExit, ManagedProcess, type ExitInfo } from './managed-process';
import { writeRoster } from './node-roster';
import { assertPortsFree } from './port-check';
import { probeHttp, waitUntilHealthy } from './readiness';
import {
  SupervisorControl,
  type ControlFailure,
  type StartedStorageNode,
  type StartStorageNodeRequest,
} from './supervisor-control';

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

/** The registry's state of a node whose removal completed (or whose addition failed). */
const REMOVED_NODE_STATUS = 'inactive';

export class LocalCluster {
  private readonly coordinator: ManagedProcess;
  /** The storage nodes it runs, by name; their ports and dirs are in `layout`. */
  private readonly nodes = new Map<string, ManagedProcess>();
  private layout: ClusterLayout;
  /** Nodes being stopped on purpose (they left the ring): their exit is no death. */
  private readonly leaving = new Set<string>();
  /** One node addition or removal at a time. */
  private membershipChange: Promise<unknown> = Promise.resolve();
  /** Talks to the coordinator once the cluster is up: registrations and the node list. */
  private admin: PairDBClient | undefined;
  private control: SupervisorControl | undefined;
  private readonly deaths = new Map<string, number[]>();
  private readonly healthy = new Map<string, boolean>();
  private readonly onSignal = (signal: NodeJS.Signals) => void this.stop(`received ${signal}`);
  /** If the supervisor itself dies, its children still get their SIGTERM and drain. */
  private readonly onExit = () => this.all().forEach((child) => child.running && child.stop());
  private readonly reportErrorRecord = (name: string, message: string) =>
    this.options.out(`  ! ${name}: ${message}`);
  private stopping: Promise<number> | undefined;
  private resolveFinished: (code: number) => void = () => undefined;
  private readonly finished = new Promise<number>((resolve) => (this.resolveFinished = resolve));
  private failed = false;
  private monitor: NodeJS.Timeout | undefined;
  private startedAtUnixMs = 0;

  constructor(private readonly options: LocalClusterOptions) {
    this.layout = options.layout;
    for (const node of options.layout.nodes) this.nodes.set(node.name, this.nodeProcess(node));
    this.coordinator = new ManagedProcess(
      {
        name: this.layout.coordinator.name,
        script: options.bundles.coordinator,
        logFile: path.join(this.layout.logDir, `${this.layout.coordinator.name}.log`),
        env: this.coordinatorEnv(),
      },
      this.reportErrorRecord,
    );
  }

  /** Starts the cluster and runs it until stopped; resolves to the exit code. */
  async run(): Promise<number> {
    this.prepare();
    await assertPortsFree(portsOf(this.layout));
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

  /**
   * Starts the next storage node (an index no node ever had), waits until it is ready, records
   * it, and registers it with the coordinator; a refused registration stops it and forgets it
   * again. For the control channel: one at a time.
   */
  startStorageNode(request: StartStorageNodeRequest): Promise<StartedStorageNode> {
    const change = this.membershipChange.then(() => this.addNode(request));
    this.membershipChange = change.catch(() => undefined);
    return change;
  }

  private prepare(): void {
    const { layout } = this;
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

  private nodeProcess(node: StorageNodeLayout): ManagedProcess {
    return new ManagedProcess(
      {
        name: node.name,
        script: this.options.bundles.storageNode,
        logFile: path.join(this.layout.logDir, `${node.name}.log`),
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
      this.reportErrorRecord,
    );
  }

  private coordinatorEnv(): Record<string, string> {
    const c = this.layout.coordinator;
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
    const { layout } = this;
    const { out } = this.options;
    this.startedAtUnixMs = Date.now();
    out(
      `PairDB local cluster: 1 coordinator + ${layout.nodes.length} storage nodes ` +
        `(${layout.nodes.map((node) => node.name).join(', ')}), data in ${layout.dataDir}`,
    );
    out(`  metadata: ${this.describeMetadata()}; idempotency: ${this.describeIdempotency()}`);
    await Promise.all(
      layout.nodes.map((node) => this.startProcess(this.nodes.get(node.name)!, readyUrl(node))),
    );
    if (this.stopping) return;
    const c = layout.coordinator;
    await this.startProcess(this.coordinator, `http://${LOOPBACK_HOST}:${c.http}/healthz`);
    if (this.stopping) return;
    this.admin = new PairDBClient({ address: coordinatorAddress(layout) });
    await this.bootstrap(this.admin);
    await this.waitHealthy(this.coordinator, readyUrl(c));
    out(`  ✓ ${c.name} ready: ${layout.nodes.length} storage nodes in the ring`);
    this.control = await SupervisorControl.listen({
      startStorageNode: (request) => this.startStorageNode(request),
      describeFailure: (error) => describeControlFailure(error),
    });
    writeRoster(layout.dataDir, this.nodeIndices());
    this.saveState();
    out(renderBanner(layout));
  }

  /**
   * Starts `child` and waits until it is healthy; `beforeAnnounce` records it (the state file)
   * before the "up" line, so whoever reads that line finds the new pid already saved.
   */
  private async startProcess(
    child: ManagedProcess,
    url: string,
    beforeAnnounce: () => void = () => undefined,
  ): Promise<void> {
    const started = Date.now();
    child.start();
    const exited = child.exited;
    void exited.then((info) => this.onChildExit(child, exited, info));
    await this.waitHealthy(child, url);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    this.healthy.set(child.spec.name, true);
    beforeAnnounce();
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

  private async bootstrap(client: PairDBClient): Promise<void> {
    const { out } = this.options;
    const report = await bootstrapCluster(
      client,
      this.layout.nodes,
      this.options.replicationFactor,
    );
    for (const line of report.lines) out(`  ${line}`);
    for (const warning of report.warnings) out(`  ! ${warning}`);
  }

  private async addNode(request: StartStorageNodeRequest): Promise<StartedStorageNode> {
    if (this.stopping || !this.admin || !this.control) {
      throw new CommandError('the cluster is starting or stopping: try again once it runs');
    }
    const admin = this.admin;
    await refuseWhileMigrating(admin);
    const index = await this.nextNodeIndex(admin);
    const grown = withStorageNode(this.layout, index);
    const node = grown.nodes[grown.nodes.length - 1]!;
    await assertPortsFree([
      { port: node.grpc, role: `${node.name} gRPC` },
      { port: node.http, role: `${node.name} HTTP` },
    ]);
    const child = this.nodeProcess(node);
    this.layout = grown;
    this.nodes.set(node.name, child);
    let registering = false;
    try {
      await this.startProcess(child, readyUrl(node), () => {
        writeRoster(this.layout.dataDir, this.nodeIndices());
        this.saveState();
      });
      registering = true;
      const added = await admin.addStorageNode({
        nodeId: node.name,
        host: LOOPBACK_HOST,
        port: node.grpc,
        virtualNodes: request.virtualNodes,
      });
      const migration = added.migrationId ? `migration ${added.migrationId}` : 'no data to move';
      this.options.out(`  + ${node.name} added to the ring (${added.node.status}; ${migration})`);
      return {
        nodeId: node.name,
        pid: child.pid!,
        grpcAddress: `${LOOPBACK_HOST}:${node.grpc}`,
        httpPort: node.http,
        dataDir: node.dataDir,
        logFile: child.spec.logFile,
        status: added.node.status,
        virtualNodes: added.node.virtualNodes,
        migrationId: added.migrationId,
        coordinatorAddress: coordinatorAddress(this.layout),
      };
    } catch (error) {
      // Without a clear refusal (a timeout, say) the node may be registered: it keeps running.
      if (registering && !isRefusal(error)) throw error;
      await this.forgetNode(node, `not added (${(error as Error).message})`);
      // The node never joined, so its id was not used: the next addition may take it again.
      rmSync(node.dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Above every index a node of this cluster ever had: here, in the registry, or on disk. */
  private async nextNodeIndex(admin: PairDBClient): Promise<number> {
    const registered = (await admin.listStorageNodes()).map((node) => node.nodeId);
    // A dir whose node is in no roster (one was lost) still holds that node's data.
    const onDisk = readdirSync(this.layout.dataDir);
    const taken = [...registered, ...onDisk]
      .map(storageNodeIndex)
      .filter((k): k is number => k !== undefined);
    return nextStorageNodeIndex([...this.nodeIndices(), ...taken]);
  }

  /** Stops the nodes the coordinator lists as removed (their removal migration completed). */
  private async stopRemovedNodes(): Promise<void> {
    const admin = this.admin;
    if (!admin || this.stopping) return;
    let registered;
    try {
      registered = await admin.listStorageNodes();
    } catch {
      return; // The coordinator is restarting or busy: the next poll asks again.
    }
    for (const node of registered) {
      const layout = this.layout.nodes.find((n) => n.name === node.nodeId);
      if (!layout || node.status !== REMOVED_NODE_STATUS || this.leaving.has(node.nodeId)) continue;
      const change = this.membershipChange.then(() =>
        this.forgetNode(
          layout,
          `left the ring (its removal completed; its data stays in ${layout.dataDir})`,
        ),
      );
      this.membershipChange = change.catch(() => undefined);
    }
  }

  /** Stops a node on purpose and drops it from the layout, the roster and cluster.json. */
  private async forgetNode(node: StorageNodeLayout, why: string): Promise<void> {
    const child = this.nodes.get(node.name);
    if (!child || this.stopping) return;
    this.leaving.add(node.name);
    try {
      const clean = child.running ? await this.stopProcesses([child]) : true;
      this.nodes.delete(node.name);
      this.healthy.delete(node.name);
      this.layout = withoutStorageNode(this.layout, node.name);
      writeRoster(this.layout.dataDir, this.nodeIndices());
      this.saveState();
      this.options.out(`  - ${node.name} ${why}; ${clean ? 'stopped' : 'stopped, with failures'}`);
    } finally {
      this.leaving.delete(node.name);
    }
  }

  private onChildExit(child: ManagedProcess, run: Promise<ExitInfo>, info: ExitInfo): void {
    // Only the current run of a process matters, and nothing while stopping.
    const name = child.spec.name;
    if (this.stopping || run !== child.exited || this.leaving.has(name)) return;
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
    const name = child.spec.name;
    // A node forgotten meanwhile (it left the ring) stays stopped.
    if (this.stopping || (child !== this.coordinator && this.nodes.get(name) !== child)) return;
    const node = this.layout.nodes.find((n) => n.name === name);
    const url = readyUrl(node ?? this.layout.coordinator);
    try {
      await this.startProcess(child, url, () => this.saveState());
    } catch (error) {
      if (this.stopping) return;
      this.options.out(`  ✗ ${(error as Error).message}`);
      // A failed start counts as another death: the exit handler decides what comes next.
      if (child.running) void child.stop('SIGKILL');
    }
  }

  private async pollHealth(): Promise<void> {
    const targets: [ManagedProcess, number][] = [
      [this.coordinator, this.layout.coordinator.http],
      ...this.layout.nodes.map((node): [ManagedProcess, number] => [
        this.nodes.get(node.name)!,
        node.http,
      ]),
    ];
    await Promise.all([
      this.stopRemovedNodes(),
      ...targets.map(async ([child, port]) => {
        // A node still starting has not been healthy yet: its start reports it.
        if (!child.running || this.stopping || !this.healthy.has(child.spec.name)) return;
        const probe = await probeHttp(`http://${LOOPBACK_HOST}:${port}/readyz`);
        const name = child.spec.name;
        if (probe.ok === this.healthy.get(name) || this.stopping || !child.running) return;
        if (this.leaving.has(name)) return;
        this.healthy.set(name, probe.ok);
        this.options.out(
          probe.ok ? `  ✓ ${name} ready again` : `  ! ${name} not ready: ${probe.body}`,
        );
      }),
    ]);
  }

  private async stopAll(): Promise<number> {
    if (this.monitor) clearInterval(this.monitor);
    await this.control?.close();
    this.admin?.close();
    let clean = await this.stopProcesses([this.coordinator]);
    clean = (await this.stopProcesses([...this.nodes.values()])) && clean;
    removeState(this.layout.dataDir);
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
    const { layout } = this;
    const c = layout.coordinator;
    writeState({
      supervisorPid: process.pid,
      startedAtUnixMs: this.startedAtUnixMs,
      dataDir: layout.dataDir,
      coordinator: {
        name: c.name,
        pid: this.coordinator.pid,
        grpcAddress: coordinatorAddress(layout),
        httpPort: c.http,
        metricsPort: c.metrics,
      },
      nodes: layout.nodes.map((node) => ({
        name: node.name,
        pid: this.nodes.get(node.name)!.pid,
        grpcAddress: `${LOOPBACK_HOST}:${node.grpc}`,
        httpPort: node.http,
      })),
      control: this.control?.endpoint,
    });
  }

  private nodeIndices(): number[] {
    return this.layout.nodes.map((node) => node.index);
  }

  private all(): ManagedProcess[] {
    return [this.coordinator, ...this.nodes.values()];
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

/**
 * The coordinator admits one migration at a time and would refuse the node anyway; asking
 * first spares starting a process only to stop it. (The coordinator still decides: a migration
 * admitted meanwhile makes it refuse, and the node is stopped again.)
 */
async function refuseWhileMigrating(admin: PairDBClient): Promise<void> {
  const [newest] = await admin.listMigrations(1);
  if (newest && !isFinished(newest)) {
    throw new CommandError(
      `migration ${newest.migrationId} (${newest.type} ${migrationSubject(newest)}) is ` +
        `${newest.status}: one migration runs at a time; add the node once it ends ` +
        `(\`pairdb migration status ${newest.migrationId} --watch\`)`,
      EXIT_FAILED_PRECONDITION,
    );
  }
}

/** The coordinator answered no: nothing was registered. */
function isRefusal(error: unknown): boolean {
  return [
    InvalidArgumentError,
    AlreadyExistsError,
    ConflictError,
    FailedPreconditionError,
    NotFoundError,
  ].some((type) => error instanceof type);
}

function readyUrl(process: { http: number }): string {
  return `http://${LOOPBACK_HOST}:${process.http}/readyz`;
}

function coordinatorAddress(layout: ClusterLayout): string {
  return `${LOOPBACK_HOST}:${layout.coordinator.grpc}`;
}

/** The message and exit code `pairdb` would give for `error` (failure-report.ts). */
async function describeControlFailure(error: unknown): Promise<ControlFailure> {
  const { describeFailure, exitCodeFor } = await import('../failure-report.js');
  return {
    message: describeFailure(error)
      .replace(/^pairdb: /, '')
      .trimEnd(),
    exitCode: exitCodeFor(error),
  };
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
