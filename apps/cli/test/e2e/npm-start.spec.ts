// `npm start` exactly as the README gives it (the root package.json script: build, then
// `pairdb cluster start`), with only the ports and data dir moved so the test stays off the
// default layout: a healthy cluster comes up, Ctrl-C leaves no process behind, and a second
// start on the same data dir finds its nodes, tenant and data again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildCliBundle, WORKSPACE_ROOT, type CliBundle } from '../support/cli-bundle';
import { ClusterProcess, httpStatus, isAlive, type ExitStatus } from '../support/cluster-process';
import { clusterPorts, portArgs, type TestPorts } from '../support/ports';
import { runCli } from '../support/run-cli';

/** Build (cached by Nx) plus a fresh cluster, on a loaded 2-core machine. */
const START_TIMEOUT_MS = 150_000;

function npmStart(ports: TestPorts, dataDir: string): Promise<ClusterProcess> {
  return ClusterProcess.start(
    'npm',
    ['start', '--', ...portArgs(ports), '--data-dir', dataDir],
    dataDir,
    WORKSPACE_ROOT,
  );
}

/**
 * npm waits for its script, then re-raises the SIGINT it got on itself (a shell shows 130);
 * the supervisor below it exits 0. Either way npm must not report a failure of its own.
 */
function expectInterrupted(exit: ExitStatus): void {
  if (exit.signal === null) expect(exit.code).toBe(0);
  else expect(exit.signal).toBe('SIGINT');
}

describe('npm start', () => {
  let bundle: CliBundle;
  let ports: TestPorts;
  let dataDir: string;
  let running: ClusterProcess | undefined;

  beforeAll(async () => {
    bundle = await buildCliBundle();
    ports = await clusterPorts(3);
    dataDir = mkdtempSync(path.join(tmpdir(), 'pairdb-npm-start-'));
  });

  afterAll(async () => {
    if (running) await running.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    bundle?.remove();
  }, 60_000);

  const pairdb = (args: readonly string[]) =>
    runCli(bundle.main, ['-a', `127.0.0.1:${ports.basePort}`, ...args]);

  it(
    'brings up a healthy cluster, and Ctrl-C leaves no process behind',
    async () => {
      running = await npmStart(ports, dataDir);
      const cluster = running;
      const pids = cluster.pids();
      expect(pids).toHaveLength(5);
      expect(cluster.output).toContain('created tenant default (replication factor 3)');
      expect(await httpStatus(`http://127.0.0.1:${ports.httpPort}/readyz`)).toBe(200);
      const status = JSON.parse((await pairdb(['status', '--json'])).stdout);
      expect(status.nodes.map((n: { health: string }) => n.health)).toEqual(['up', 'up', 'up']);
      expect((await pairdb(['put', 'default', 'survives', 'restarts'])).code).toBe(0);

      expectInterrupted(await cluster.interrupt());
      running = undefined;
      // Printed only when every process exited 0 after its drain.
      expect(cluster.output).toContain('stopped cleanly');
      expect(pids.filter(isAlive)).toEqual([]);
      await expect(httpStatus(`http://127.0.0.1:${ports.httpPort}/healthz`)).rejects.toThrow();
    },
    START_TIMEOUT_MS,
  );

  it(
    'starts again on the same data dir with its nodes, tenant and data; cluster stop ends it',
    async () => {
      running = await npmStart(ports, dataDir);
      const cluster = running;
      expect(cluster.output).toContain('storage nodes already registered');
      expect(cluster.output).toContain('tenant default exists');
      expect((await pairdb(['get', 'default', 'survives'])).stdout).toBe('restarts');
      const pids = cluster.pids();
      // This time as a script would stop it: SIGTERM to the supervisor, found in cluster.json.
      const stop = await runCli(bundle.main, ['cluster', 'stop', '--data-dir', dataDir]);
      expect(stop).toMatchObject({
        code: 0,
        stdout: `stopped the cluster running from ${dataDir}\n`,
      });
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      running = undefined;
      expect(cluster.output).toContain('received SIGTERM: stopping the cluster');
      expect(cluster.output).toContain('stopped cleanly');
      expect(pids.filter(isAlive)).toEqual([]);
      const again = await runCli(bundle.main, ['cluster', 'stop', '--data-dir', dataDir]);
      expect(again.stdout).toBe(`no cluster running from ${dataDir}\n`);
    },
    START_TIMEOUT_MS,
  );
});
