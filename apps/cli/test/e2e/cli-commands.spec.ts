// `pairdb` driven as a user drives it: a real local cluster started by `pairdb cluster start`
// (1 coordinator + 3 storage nodes, separate processes on ports picked here), then one
// `pairdb` process per command, checking stdout, stderr and the exit code. The tests share the
// cluster but nothing else: each writes the keys, tenants and nodes it reads, under names of its
// own, so they pass in any order (`jest --randomize`) and alone (`-t`). Ctrl-C is tested in
// cluster-supervisor.spec.ts, on a cluster of its own.
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { freePortBlock } from '@pairdb/test-ports';
import { buildCliBundle, type CliBundle } from '../support/cli-bundle';
import { isAlive, startBundledCluster, type ClusterProcess } from '../support/cluster-process';
import type { TestPorts } from '../support/ports';
import { README_EXIT_CODES as EXIT } from '../support/readme-exit-codes';
import { runCli, type RunOptions } from '../support/run-cli';

const NODES = 3;
/** Enough for a fresh cluster (PGlite initdb) on a loaded 2-core machine. */
const START_TIMEOUT_MS = 120_000;
/** The coordinator's default write timeout is 5 s; a quorum failure takes that long. */
const QUORUM_TEST_TIMEOUT_MS = 30_000;
/** The coordinator's default value limit (1 MiB). */
const VALUE_BYTES_MAX = 1024 * 1024;
/** A test runs a handful of `pairdb` processes (~0.5 s each on a busy 2-core machine). */
jest.setTimeout(30_000);
/** A factor change of a few keys, watched to its end; its barriers take a few seconds. */
const MIGRATION_RUN_TIMEOUT_MS = 90_000;
/** Keys the status test writes to `default`, so each node has at least this many. */
const STATUS_KEYS = 5;

describe('pairdb against a local cluster', () => {
  let bundle: CliBundle;
  let ports: TestPorts;
  let dataDir: string;
  let cluster: ClusterProcess;
  let pids: number[] = [];

  const pairdb = (args: readonly string[], options?: RunOptions) =>
    runCli(bundle.main, ['--address', `127.0.0.1:${ports.basePort}`, ...args], options);

  beforeAll(async () => {
    bundle = await buildCliBundle();
    ({ ports, dataDir, cluster } = await startBundledCluster(
      bundle.main,
      NODES,
      'pairdb-cli-e2e-',
    ));
    pids = cluster.pids();
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    if (cluster && pids.some(isAlive)) await cluster.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    bundle?.remove();
  }, 60_000);

  describe('put, get, delete', () => {
    it('reads back exactly the bytes written from an argument', async () => {
      const put = await pairdb(['put', 'default', 'greeting', 'hello world']);
      expect(put).toMatchObject({ code: 0, stdout: 'OK\n', stderr: '' });
      const get = await pairdb(['get', 'default', 'greeting']);
      expect(get).toMatchObject({ code: 0, stdout: 'hello world' });
    });

    it('takes the value from stdin with "-", binary bytes included', async () => {
      const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x41]);
      expect((await pairdb(['put', 'default', 'binary', '-'], { input: bytes })).code).toBe(0);
      const get = await pairdb(['get', 'default', 'binary']);
      expect(get.stdoutBytes.equals(bytes)).toBe(true);
      const json = JSON.parse((await pairdb(['get', 'default', 'binary', '--json'])).stdout);
      expect(json).toMatchObject({ key: 'binary', encoding: 'base64' });
      expect(Buffer.from(json.value, 'base64').equals(bytes)).toBe(true);
    });

    it('takes the value from --file', async () => {
      const file = path.join(dataDir, 'value.txt');
      writeFileSync(file, 'from a file\n');
      expect((await pairdb(['put', 'default', 'filed', '--file', file])).code).toBe(0);
      expect((await pairdb(['get', 'default', 'filed'])).stdout).toBe('from a file\n');
    });

    it('refuses two value sources with exit 2 and says why', async () => {
      const put = await pairdb(['put', 'default', 'k', 'v', '--file', '/etc/hostname']);
      expect(put.code).toBe(EXIT['bad command line']);
      expect(put.stderr).toContain('not two of them');
    });

    it('prints the clock with counters as exact decimal strings under --json', async () => {
      await pairdb(['put', 'default', 'clocked', 'v']);
      const json = JSON.parse((await pairdb(['get', 'default', 'clocked', '--json'])).stdout);
      expect(json.vectorClock).toHaveLength(1);
      expect(json.vectorClock[0].actor).toBe('coordinator-1');
      expect(json.vectorClock[0].counter).toMatch(/^\d{10,}$/);
      expect(json.siblings).toEqual([{ value: 'v', encoding: 'utf8', dot: json.vectorClock[0] }]);
    });

    it('deletes: a later get exits 4 naming the key and the tenant', async () => {
      await pairdb(['put', 'default', 'doomed', 'x']);
      expect(await pairdb(['delete', 'default', 'doomed'])).toMatchObject({
        code: 0,
        stdout: 'OK\n',
      });
      const get = await pairdb(['get', 'default', 'doomed']);
      expect(get.code).toBe(EXIT.NOT_FOUND);
      expect(get.stderr).toContain('key "doomed" not found in tenant "default" (NOT_FOUND)');
    });

    it('names an unknown tenant (exit 4) and says how to create it', async () => {
      const put = await pairdb(['put', 'no-such-tenant', 'k', 'v']);
      expect(put.code).toBe(EXIT.NOT_FOUND);
      expect(put.stderr).toContain('tenant "no-such-tenant" not found');
      expect(put.stderr).toContain('pairdb tenant create');
    });

    it('answers a repeated idempotency key from the first write; a different value is exit 3', async () => {
      const args = ['put', 'default', 'once', 'first', '--idempotency-key', 'req-1'];
      expect((await pairdb(args)).stdout).toBe('OK\n');
      expect((await pairdb(args)).stdout).toContain('duplicate');
      const reused = await pairdb(['put', 'default', 'once', 'other', '-i', 'req-1']);
      expect(reused.code).toBe(EXIT.INVALID_ARGUMENT);
      expect(reused.stderr).toContain('idempotency_key');
    });

    it('refuses an unknown consistency level with exit 2 before contacting anything', async () => {
      const get = await runCli(bundle.main, [
        '--address',
        '127.0.0.1:1',
        'get',
        'default',
        'k',
        '--consistency',
        'most',
      ]);
      expect(get.code).toBe(EXIT['bad command line']);
      expect(get.stderr).toContain('one, quorum, all');
    });

    it('reports a key over 1 KiB as INVALID_ARGUMENT (exit 3)', async () => {
      const put = await pairdb(['put', 'default', 'k'.repeat(1025), 'v']);
      expect(put.code).toBe(EXIT.INVALID_ARGUMENT);
      expect(put.stderr).toContain('(INVALID_ARGUMENT)');
    });

    it('reports a value over 1 MiB as RESOURCE_EXHAUSTED (exit 10)', async () => {
      const input = Buffer.alloc(VALUE_BYTES_MAX + 1, 1);
      const put = await pairdb(['put', 'default', 'big', '-'], { input });
      expect(put.code).toBe(EXIT.RESOURCE_EXHAUSTED);
      expect(put.stderr).toContain(`above the limit of ${VALUE_BYTES_MAX} bytes`);
    });

    it('shows siblings and resolves them with --context from get --json', async () => {
      expect(
        (await pairdb(['tenant', 'create', 'sib', '--conflict-resolution', 'siblings'])).code,
      ).toBe(0);
      await pairdb(['put', 'sib', 'cart', 'apples']);
      await pairdb(['put', 'sib', 'cart', 'pears']);
      const both = await pairdb(['get', 'sib', 'cart']);
      expect(both.stderr).toContain('2 concurrent values');
      const read = await pairdb(['get', 'sib', 'cart', '--json']);
      const values = JSON.parse(read.stdout).siblings.map((s: { value: string }) => s.value);
      expect(values.sort()).toEqual(['apples', 'pears']);
      const merged = await pairdb(['put', 'sib', 'cart', 'apples+pears', '--context', read.stdout]);
      expect(merged.code).toBe(0);
      const after = await pairdb(['get', 'sib', 'cart', '--json']);
      expect(JSON.parse(after.stdout).siblings.map((s: { value: string }) => s.value)).toEqual([
        'apples+pears',
      ]);
    });
  });

  describe('tenants and nodes', () => {
    it(
      'creates, shows and changes a tenant, with exit codes for each refusal',
      async () => {
        const created = await pairdb(['tenant', 'create', 'shop', '-r', '2', '--json']);
        expect(JSON.parse(created.stdout)).toMatchObject({
          tenantId: 'shop',
          replicationFactor: 2,
          conflictResolution: 'lww',
          version: 1,
        });
        expect((await pairdb(['tenant', 'create', 'shop'])).code).toBe(EXIT.ALREADY_EXISTS);
        const shown = await pairdb(['tenant', 'get', 'shop']);
        expect(shown.stdout).toMatch(/replication factor\s+2/);
        // A factor change is a migration (one at a time): --watch waits for it, so no later
        // test meets it still running.
        const updated = await pairdb(
          ['tenant', 'set-rf', 'shop', '3', '--expected-version', '1', '--watch'],
          { timeoutMs: MIGRATION_RUN_TIMEOUT_MS },
        );
        expect(updated).toMatchObject({ code: 0, stderr: '' });
        const migrationId = /^migration (mig-\S+): copies shop to 3 replicas/m.exec(
          updated.stdout,
        )![1];
        expect(updated.stdout).toContain(
          `${migrationId} replication_factor_change shop rf 2->3: completed`,
        );
        expect((await pairdb(['tenant', 'get', 'shop'])).stdout).toMatch(/replication factor\s+3/);
        const stale = await pairdb(['tenant', 'set-rf', 'shop', '1', '--expected-version', '1']);
        expect(stale.code).toBe(EXIT.ABORTED);
        expect(stale.stderr).toContain('not the expected version 1');
        expect((await pairdb(['tenant', 'set-rf', 'shop', '9'])).code).toBe(
          EXIT['bad command line'],
        );
        expect((await pairdb(['tenant', 'get', 'nope'])).code).toBe(EXIT.NOT_FOUND);
      },
      MIGRATION_RUN_TIMEOUT_MS + 30_000,
    );

    // Adding and removing nodes for real (migrations, the supervisor starting and stopping
    // them) is local-cluster-membership.spec.ts; here, the refusals before any migration.
    it('lists nodes; refuses a taken id, a removal that leaves too few replicas, a bad address', async () => {
      const listed = await pairdb(['node', 'list']);
      expect(listed.stdout.split('\n').filter((line) => /^node-\d/.test(line))).toHaveLength(NODES);
      const again = await pairdb(['node', 'add', 'node-0', `127.0.0.1:${ports.basePort + 1}`]);
      expect(again.code).toBe(EXIT.ALREADY_EXISTS);
      // Three nodes carry tenants with replication factor 3: none may go.
      const refused = await pairdb(['node', 'remove', 'node-0']);
      expect(refused.code).toBe(EXIT.FAILED_PRECONDITION);
      expect(refused.stderr).toContain('replication factor 3');
      expect((await pairdb(['node', 'remove', 'ghost'])).code).toBe(EXIT.NOT_FOUND);
      expect((await pairdb(['node', 'add', 'bad', 'no-port'])).code).toBe(EXIT['bad command line']);
      const both = await pairdb(['node', 'add', '--start', 'node-9', '127.0.0.1:1']);
      expect(both.code).toBe(EXIT['bad command line']);
      expect(both.stderr).toContain('give no <id> or <host:port>');
    });

    it('says an unknown migration is NOT_FOUND (exit 4)', async () => {
      const status = await pairdb(['migration', 'status', 'mig-unknown']);
      expect(status.code).toBe(EXIT.NOT_FOUND);
      expect(status.stderr).toContain('migration "mig-unknown" not found');
    });
  });

  describe('status', () => {
    it('shows every node up with ring shares that add up and key counts', async () => {
      for (let index = 0; index < STATUS_KEYS; index++) {
        expect((await pairdb(['put', 'default', `status-${index}`, 'v'])).code).toBe(0);
      }
      const table = await pairdb(['status']);
      expect(table.code).toBe(0);
      expect(table.stdout).toContain(`${NODES} in the ring, ${NODES} up`);
      expect(table.stdout).toMatch(
        /NODE\s+ADDRESS\s+STATE\s+OWNS\s+EFFECTIVE\(RF3\)\s+HEALTH\s+KEYS/,
      );
      const status = JSON.parse((await pairdb(['status', '--json'])).stdout);
      const ring = status.nodes.filter((n: { state: string }) => n.state === 'active');
      expect(ring).toHaveLength(NODES);
      const sum = (field: string) =>
        ring.reduce((total: number, n: Record<string, number>) => total + n[field]!, 0);
      expect(sum('owns')).toBeCloseTo(1, 6);
      expect(sum('effective')).toBeCloseTo(3, 6);
      // RF 3 on 3 nodes: every key this test wrote to `default` is on every node.
      for (const node of ring) {
        expect(node.health).toBe('up');
        expect(node.keys).toBeGreaterThanOrEqual(STATUS_KEYS);
      }
    });
  });

  describe('bench', () => {
    it('loads, runs workload A and reports E unsupported, as JSON with latency per operation', async () => {
      const args = ['bench', '--records', '300', '--operations', '600', '--clients', '4'];
      const bench = await pairdb([...args, '-w', 'A,E', '--seed', '1', '--json', '-q']);
      expect(bench.code).toBe(0);
      const report = JSON.parse(bench.stdout);
      expect(report.settings).toMatchObject({ tenant: 'bench', records: 300, clients: 4 });
      expect(report.load.operations.INSERT).toMatchObject({ count: 300, errors: 0 });
      const [a, e] = report.runs;
      expect(a).toMatchObject({ workload: 'A', supported: true, distribution: 'zipfian' });
      expect(a.operations.READ.count + a.operations.UPDATE.count).toBe(600);
      expect(a.operations.READ.errors + a.operations.UPDATE.errors).toBe(0);
      const latency = a.operations.READ.latencyMs;
      expect(latency.p50).toBeGreaterThan(0);
      expect(latency.p50).toBeLessThanOrEqual(latency.p95);
      expect(latency.p99).toBeLessThanOrEqual(latency.max);
      expect(e).toMatchObject({ workload: 'E', supported: false });
      const tenant = JSON.parse((await pairdb(['tenant', 'get', 'bench', '--json'])).stdout);
      expect(tenant.replicationFactor).toBe(3);
    }, 60_000);

    it('prints a table per phase, reusing loaded records with --no-load', async () => {
      const records = ['--tenant', 'bench-reused', '--records', '300'];
      const load = await pairdb(['bench', ...records, '--operations', '1', '-w', 'c', '-q']);
      expect(load.code).toBe(0);
      const bench = await pairdb([
        'bench',
        ...records,
        '--no-load',
        '--operations',
        '200',
        '-w',
        'c',
      ]);
      expect(bench.code).toBe(0);
      expect(bench.stdout).toContain('workload C (read only: read 100%, zipfian)');
      expect(bench.stdout).toMatch(
        /OPERATION\s+COUNT\s+ERRORS\s+OPS\/S\s+P50 MS\s+P95 MS\s+P99 MS\s+MAX MS/,
      );
      expect(bench.stdout).toMatch(/READ\s+200\s+0\s/);
      expect(bench.stdout).not.toContain('load:');
    }, 60_000);

    it('refuses workload E alone (exit 1) without loading anything', async () => {
      const bench = await pairdb(['bench', '-w', 'E', '--tenant', 'never-created']);
      expect(bench.code).toBe(1);
      expect(bench.stderr).toContain(
        'workload E is not supported: the coordinator API has no range scan',
      );
      expect((await pairdb(['tenant', 'get', 'never-created'])).code).toBe(EXIT.NOT_FOUND);
    });
  });

  describe('failures', () => {
    it(
      'names a quorum failure with achieved/required (exit 6) while a node is frozen',
      async () => {
        const frozen = cluster.state().nodes[2]!.pid;
        process.kill(frozen, 'SIGSTOP');
        try {
          const put = await pairdb(['put', 'default', 'all-of-them', 'v', '--consistency', 'all']);
          expect(put.code).toBe(EXIT.UNAVAILABLE);
          expect(put.stderr).toContain('quorum not reached: 2/3');
          expect(put.stderr).toContain('hint: only 2 of the 3 replicas');
          // QUORUM needs 2 of 3: still fine with one node frozen.
          const quorum = await pairdb(['put', 'default', 'two-of-them', 'v']);
          expect(quorum.code).toBe(0);
        } finally {
          process.kill(frozen, 'SIGCONT');
        }
      },
      QUORUM_TEST_TIMEOUT_MS,
    );

    it('names an unreachable coordinator (exit 6) and how to start one', async () => {
      const port = await freePortBlock(1);
      const get = await runCli(bundle.main, ['-a', `127.0.0.1:${port}`, 'get', 'default', 'k']);
      expect(get.code).toBe(EXIT.UNAVAILABLE);
      expect(get.stderr).toContain(`cannot reach 127.0.0.1:${port}`);
      expect(get.stderr).toContain('npm start');
    });

    it('reports a storage node that dies and restarts it', async () => {
      expect((await pairdb(['put', 'default', 'outlives-a-crash', 'still here'])).code).toBe(0);
      const victim = cluster.state().nodes[1]!;
      const mark = cluster.output.length;
      process.kill(victim.pid, 'SIGKILL');
      await cluster.waitForOutput(
        `✗ ${victim.name} exited unexpectedly (killed by SIGKILL)`,
        10_000,
        mark,
      );
      await cluster.waitForOutput(`✓ ${victim.name} up in`, 30_000, mark);
      const restarted = cluster.state().nodes[1]!.pid;
      expect(restarted).not.toBe(victim.pid);
      pids.push(restarted);
      const status = JSON.parse((await pairdb(['status', '--json'])).stdout);
      expect(status.nodes.find((n: { nodeId: string }) => n.nodeId === victim.name).health).toBe(
        'up',
      );
      expect((await pairdb(['get', 'default', 'outlives-a-crash'])).stdout).toBe('still here');
    }, 60_000);
  });
});
