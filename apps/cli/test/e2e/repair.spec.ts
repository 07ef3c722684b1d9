// `pairdb repair` and `pairdb status` against a real local cluster (`pairdb cluster start`, 1
// coordinator + 3 storage nodes, anti-entropy on with an hour between scheduled passes, so only
// the repair asked for can heal anything): a storage node SIGKILLed and restarted by the
// supervisor with its data directory deleted gets every key back from `pairdb repair`, whose
// output follows the pass to completion; `pairdb status` then shows each node's last repair and
// the keys it repaired into the wiped node.
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { PairDBClient, probeStorageNode } from '@pairdb/client';
import { buildCliBundle, type CliBundle } from '../support/cli-bundle';
import {
  CLUSTER_START_TIMEOUT_MS,
  isAlive,
  startBundledCluster,
  type ClusterProcess,
} from '../support/cluster-process';
import type { TestPorts } from '../support/ports';
import { README_EXIT_CODES as EXIT } from '../support/readme-exit-codes';
import { runCli } from '../support/run-cli';

const NODES = 3;
/** A few hundred keys: every range of the ring holds some, and loading them takes seconds. */
const KEYS = 600;
const WRITES_IN_FLIGHT = 32;
/** A killed node comes back after the supervisor's 1 s backoff; a busy machine takes longer. */
const RESTART_TIMEOUT_MS = 60_000;
/** A full pass of a small cluster, paced at the default duty cycle, on a busy 2-core machine. */
const REPAIR_TIMEOUT_MS = 120_000;
jest.setTimeout(60_000);

/** One line per change: pending, running with progress, then how the pass ended. */
const LINE =
  /^repair (rep-[0-9a-f-]+) \(every tenant\): (pending|running|completed)(?:, (\d+)\/(\d+) ranges)?(?:, (\d+) keys repaired)?(?: in [0-9.]+ s)?$/;

describe('pairdb repair against a local cluster', () => {
  let bundle: CliBundle;
  let ports: TestPorts;
  let dataDir: string;
  let cluster: ClusterProcess;
  let client: PairDBClient;

  const pairdb = (args: readonly string[], timeoutMs?: number) =>
    runCli(bundle.main, ['--address', `127.0.0.1:${ports.basePort}`, ...args], {
      ...(timeoutMs && { timeoutMs }),
    });
  /** Storage node k's gRPC address in the cluster layout (gRPC base port + 1 + k). */
  const nodeAddress = (k: number) => `127.0.0.1:${ports.basePort + 1 + k}`;

  beforeAll(async () => {
    bundle = await buildCliBundle();
    ({ ports, dataDir, cluster } = await startBundledCluster(
      bundle.main,
      NODES,
      'pairdb-cli-repair-',
      { PAIRDB_ANTI_ENTROPY_PASS_INTERVAL: '1h' },
    ));
    client = new PairDBClient({ address: `127.0.0.1:${ports.basePort}` });
  }, CLUSTER_START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    client?.close();
    if (cluster && cluster.pids().some(isAlive)) await cluster.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    bundle?.remove();
  }, 60_000);

  it(
    'heals a wiped node, printing the pass to completion; status then shows each last repair',
    async () => {
      const keys = Array.from({ length: KEYS }, (_, i) => `heal-${i}`);
      for (let i = 0; i < keys.length; i += WRITES_IN_FLIGHT) {
        await Promise.all(
          keys
            .slice(i, i + WRITES_IN_FLIGHT)
            .map((key) => client.put('default', key, `value of ${key}`, { consistency: 'all' })),
        );
      }
      expect((await probeStorageNode(nodeAddress(1))).approximateKeyCount).toBe(KEYS);

      const victim = cluster.state().nodes.find((node) => node.name === 'node-1')!;
      const mark = cluster.output.length;
      process.kill(victim.pid, 'SIGKILL');
      while (isAlive(victim.pid)) await new Promise((resolve) => setTimeout(resolve, 10));
      rmSync(path.join(dataDir, 'node-1'), { recursive: true, force: true });
      await cluster.waitForOutput('✓ node-1 up in', RESTART_TIMEOUT_MS, mark);
      expect((await probeStorageNode(nodeAddress(1))).approximateKeyCount).toBe(0);

      const repair = await pairdb(['repair', '--interval', '100'], REPAIR_TIMEOUT_MS);
      expect(repair.stderr).toBe('');
      expect(repair.code).toBe(EXIT.ok);
      const lines = repair.stdout.trimEnd().split('\n');
      const parsed = lines.map((line) => {
        const match = LINE.exec(line);
        if (!match) throw new Error(`unexpected line ${JSON.stringify(line)}`);
        return match;
      });
      expect(new Set(parsed.map((match) => match[1])).size).toBe(1);
      // The first poll sees the pass before it ends; ranges done never go back.
      expect(parsed.length).toBeGreaterThan(1);
      expect(parsed[0]![2]).not.toBe('completed');
      const done = parsed.filter((m) => m[3] !== undefined).map((m) => Number(m[3]));
      expect(done).toEqual([...done].sort((a, b) => a - b));
      const last = parsed[parsed.length - 1]!;
      expect(last[2]).toBe('completed');
      expect(Number(last[3])).toBe(Number(last[4]));
      expect(Number(last[4])).toBeGreaterThan(0);
      expect(Number(last[5])).toBeGreaterThanOrEqual(KEYS);
      expect((await probeStorageNode(nodeAddress(1))).approximateKeyCount).toBe(KEYS);

      const status = await pairdb(['status']);
      expect(status.code).toBe(EXIT.ok);
      const rows = status.stdout.split('\n').filter((line) => /^node-\d /.test(line));
      expect(rows).toHaveLength(NODES);
      expect(status.stdout).toMatch(/ LAST REPAIR +REPAIRED\n/);
      for (const row of rows) expect(row).toMatch(/ \d+s ago +\d+$/);
      const repairedIntoWiped = /(\d+)$/.exec(rows.find((row) => row.startsWith('node-1 '))!)!;
      expect(Number(repairedIntoWiped[1])).toBeGreaterThanOrEqual(KEYS);

      const json = await pairdb(['status', '--json']);
      const nodes = (JSON.parse(json.stdout) as { repairs: { nodes: { nodeId: string }[] } })
        .repairs.nodes;
      expect(nodes.map((node) => node.nodeId)).toEqual(['node-0', 'node-1', 'node-2']);
    },
    RESTART_TIMEOUT_MS + REPAIR_TIMEOUT_MS + 60_000,
  );

  it('refuses an unknown tenant with NOT_FOUND and a bad one with INVALID_ARGUMENT', async () => {
    const unknown = await pairdb(['repair', '--tenant', 'no-such-tenant']);
    expect(unknown.code).toBe(EXIT.NOT_FOUND);
    expect(unknown.stderr).toContain('"no-such-tenant"');
    const bad = await pairdb(['repair', '--tenant', 'bad tenant!']);
    expect(bad.code).toBe(EXIT.INVALID_ARGUMENT);
    expect(bad.stderr).toMatch(/tenant_id.*bad tenant!/);
  });
});
