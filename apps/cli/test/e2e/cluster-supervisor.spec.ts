// The supervisor's refusals and its answer to a dying child when restarts are off: a busy port
// is named before anything starts, a second cluster on the same data dir is refused, and a
// dead node stops the whole cluster with exit 1 and nothing left running. Ctrl-C stops every
// process, a node the supervisor restarted included, and exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildCliBundle, type CliBundle } from '../support/cli-bundle';
import { ClusterProcess, isAlive } from '../support/cluster-process';
import { clusterPorts, portArgs } from '../support/ports';
import { runCli } from '../support/run-cli';

const START_TIMEOUT_MS = 120_000;
/** A killed node is restarted after a short backoff; a busy machine may take a while. */
const RESTART_TIMEOUT_MS = 30_000;

describe('pairdb cluster start supervision', () => {
  let bundle: CliBundle;
  let dataDir: string;

  beforeAll(async () => {
    bundle = await buildCliBundle();
    dataDir = mkdtempSync(path.join(tmpdir(), 'pairdb-supervisor-'));
  });

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    bundle?.remove();
  });

  it('names a busy port and starts nothing', async () => {
    const ports = await clusterPorts(2);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) =>
      blocker.listen(ports.metricsPort + 2, '127.0.0.1', resolve),
    );
    try {
      const start = await runCli(bundle.main, [
        'cluster',
        'start',
        '--nodes',
        '2',
        '--data-dir',
        path.join(dataDir, 'busy'),
        ...portArgs(ports),
      ]);
      expect(start.code).toBe(1);
      expect(start.stderr).toContain(`port ${ports.metricsPort + 2} (node-1 HTTP)`);
      expect(start.stdout).not.toContain('up in');
    } finally {
      blocker.close();
    }
  });

  it(
    'refuses a second cluster on a data dir in use, and with --no-restart stops all when a node dies',
    async () => {
      const ports = await clusterPorts(1);
      const dir = path.join(dataDir, 'single');
      const cluster = await ClusterProcess.start(
        process.execPath,
        [bundle.main, 'cluster', 'start', '--nodes', '1', '--no-restart', '--data-dir', dir].concat(
          portArgs(ports),
        ),
        dir,
      );
      try {
        expect(cluster.output).toContain('created tenant default (replication factor 1)');
        const pids = cluster.pids();
        const other = await clusterPorts(1);
        const second = await runCli(bundle.main, [
          'cluster',
          'start',
          '--nodes',
          '1',
          '--data-dir',
          dir,
          ...portArgs(other),
        ]);
        expect(second.code).toBe(1);
        expect(second.stderr).toContain(`a cluster is already running from ${dir}`);

        process.kill(cluster.state().nodes[0]!.pid, 'SIGKILL');
        expect(await cluster.exited).toEqual({ code: 1, signal: null });
        expect(cluster.output).toContain('node-0 died and restarts are off');
        expect(cluster.output).toContain('stopped, with failures (exit 1)');
        expect(pids.filter(isAlive)).toEqual([]);
      } finally {
        await cluster.kill();
      }
    },
    START_TIMEOUT_MS,
  );

  it(
    'stops what a killed supervisor left running with `pairdb cluster stop`',
    async () => {
      const ports = await clusterPorts(1);
      const dir = path.join(dataDir, 'orphaned');
      const cluster = await ClusterProcess.start(
        process.execPath,
        [bundle.main, 'cluster', 'start', '--nodes', '1', '--data-dir', dir, ...portArgs(ports)],
        dir,
      );
      try {
        const state = cluster.state();
        // SIGKILL gives the supervisor no chance to stop its (detached) children.
        process.kill(state.supervisorPid, 'SIGKILL');
        await cluster.exited;
        const children = [state.coordinator.pid, state.nodes[0]!.pid];
        expect(children.every(isAlive)).toBe(true);
        const stop = await runCli(bundle.main, ['cluster', 'stop', '--data-dir', dir]);
        expect(stop.code).toBe(0);
        expect(stop.stdout).toContain(`the supervisor (pid ${state.supervisorPid}) was gone`);
        expect(stop.stdout).toContain('coordinator-1 (pid');
        expect(children.filter(isAlive)).toEqual([]);
        const again = await runCli(bundle.main, ['cluster', 'stop', '--data-dir', dir]);
        expect(again.stdout).toBe(`no cluster running from ${dir}\n`);
      } finally {
        await cluster.kill();
      }
    },
    START_TIMEOUT_MS,
  );

  it(
    'stops every process on Ctrl-C and exits 0, a node it restarted included',
    async () => {
      const ports = await clusterPorts(1);
      const dir = path.join(dataDir, 'interrupted');
      const cluster = await ClusterProcess.start(
        process.execPath,
        [bundle.main, 'cluster', 'start', '--nodes', '1', '--data-dir', dir, ...portArgs(ports)],
        dir,
      );
      try {
        const victim = cluster.state().nodes[0]!;
        const mark = cluster.output.length;
        process.kill(victim.pid, 'SIGKILL');
        await cluster.waitForOutput(`✓ ${victim.name} up in`, RESTART_TIMEOUT_MS, mark);
        const alive = cluster.pids();
        expect(alive).not.toContain(victim.pid);
        expect(alive.every(isAlive)).toBe(true);
        expect(await cluster.interrupt()).toEqual({ code: 0, signal: null });
        expect(cluster.output).toContain('stopped cleanly');
        expect(alive.filter(isAlive)).toEqual([]);
      } finally {
        await cluster.kill();
      }
    },
    START_TIMEOUT_MS,
  );
});
