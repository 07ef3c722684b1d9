// `pairdb` exits 7 (the README's number for DEADLINE_EXCEEDED) when its own --timeout passes
// first: a write at consistency `all` waits for a SIGSTOPped replica, and the coordinator's
// write timeout (5 s by default) is longer than the command's deadline.
import { rmSync } from 'node:fs';
import { buildCliBundle, type CliBundle } from '../support/cli-bundle';
import { isAlive, startBundledCluster, type ClusterProcess } from '../support/cluster-process';
import type { TestPorts } from '../support/ports';
import { runCli } from '../support/run-cli';

const NODES = 3;
/** Enough for a fresh cluster (PGlite initdb) on a loaded 2-core machine. */
const START_TIMEOUT_MS = 120_000;
/** The command's deadline: well below the coordinator's default write timeout of 5 s. */
const CLI_TIMEOUT_MS = 1_000;
jest.setTimeout(60_000);

describe('pairdb with a replica SIGSTOPped', () => {
  let bundle: CliBundle;
  let ports: TestPorts;
  let dataDir: string;
  let cluster: ClusterProcess;
  let pids: number[] = [];
  let stoppedPid: number | undefined;

  const pairdb = (args: readonly string[]) =>
    runCli(bundle.main, ['--address', `127.0.0.1:${ports.basePort}`, ...args]);

  beforeAll(async () => {
    bundle = await buildCliBundle();
    ({ ports, dataDir, cluster } = await startBundledCluster(
      bundle.main,
      NODES,
      'pairdb-cli-deadline-',
    ));
    pids = cluster.pids();
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    if (stoppedPid !== undefined && isAlive(stoppedPid)) process.kill(stoppedPid, 'SIGCONT');
    if (cluster && pids.some(isAlive)) await cluster.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    bundle?.remove();
  }, 60_000);

  it('documents --timeout in --help', async () => {
    const help = await pairdb(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--timeout <ms>\s+deadline of each request/);
  });

  it('exits 7 with DEADLINE_EXCEEDED when --timeout passes before an ALL write can finish', async () => {
    // Every node holds a replica of every key of `default` (RF 3 on 3 nodes).
    expect((await pairdb(['put', 'default', 'slow', 'before', '--consistency', 'all'])).code).toBe(
      0,
    );
    stoppedPid = cluster.state().nodes[1]!.pid;
    process.kill(stoppedPid, 'SIGSTOP');
    const put = await pairdb([
      'put',
      'default',
      'slow',
      'during',
      '--consistency',
      'all',
      '--timeout',
      String(CLI_TIMEOUT_MS),
    ]);
    expect(put.code).toBe(7);
    expect(put.stderr).toMatch(/deadline/i);
    // QUORUM does not wait for the stopped replica: the same deadline is enough.
    const quorum = await pairdb([
      'put',
      'default',
      'fast',
      'during',
      '--timeout',
      String(CLI_TIMEOUT_MS * 5),
    ]);
    expect(quorum.code).toBe(0);
    process.kill(stoppedPid, 'SIGCONT');
    stoppedPid = undefined;
  });
});
