// `pairdb cluster start --pg-url ... --redis-url ...`: the same local cluster with its metadata
// in real PostgreSQL and its idempotency records in real Redis. Needs PAIRDB_TEST_PG_URL and
// PAIRDB_TEST_REDIS_URL (CI sets both); without them the suite is skipped with a message,
// except under CI, where it fails: CI never silently skips an integration test.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { buildCliBundle, type CliBundle } from '../support/cli-bundle';
import { ClusterProcess, isAlive } from '../support/cluster-process';
import { clusterPorts, portArgs, type TestPorts } from '../support/ports';
import { runCli } from '../support/run-cli';

const PG_URL = process.env['PAIRDB_TEST_PG_URL'];
const REDIS_URL = process.env['PAIRDB_TEST_REDIS_URL'];
const NAME = 'pairdb cluster start with PostgreSQL and Redis';
const TEST_TIMEOUT_MS = 120_000;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

if (!PG_URL || !REDIS_URL) {
  const reason = 'needs PAIRDB_TEST_PG_URL and PAIRDB_TEST_REDIS_URL';
  if (process.env['CI']) {
    describe(NAME, () => {
      it('has PostgreSQL and Redis to test against (CI never skips)', () => {
        throw new Error(`${reason}; CI is set, so this suite fails instead of skipping`);
      });
    });
  } else {
    console.warn(`SKIPPED "${NAME}": ${reason} (set them to run it)`);
    describe.skip(NAME, () => {
      it('keeps metadata in PostgreSQL and idempotency records in Redis', () => undefined);
    });
  }
} else {
  describe(NAME, () => {
    // A database of its own, so nothing else on the server sees this cluster's rows.
    const database = `pairdb_cli_${process.pid}_${Date.now()}`;
    const pgUrl = withDatabase(PG_URL, database);
    let bundle: CliBundle;
    let ports: TestPorts;
    let dataDir: string;
    let cluster: ClusterProcess | undefined;

    beforeAll(async () => {
      bundle = await buildCliBundle();
      ports = await clusterPorts(3);
      dataDir = mkdtempSync(path.join(tmpdir(), 'pairdb-stores-'));
      await admin(`CREATE DATABASE ${database}`);
    });

    afterAll(async () => {
      if (cluster) await cluster.kill();
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      bundle?.remove();
    }, 60_000);

    const pairdb = (args: readonly string[]) =>
      runCli(bundle.main, ['-a', `127.0.0.1:${ports.basePort}`, ...args]);

    it(
      'keeps metadata in PostgreSQL and idempotency records in Redis across a coordinator restart',
      async () => {
        cluster = await ClusterProcess.start(
          process.execPath,
          [bundle.main, 'cluster', 'start', '--data-dir', dataDir, ...portArgs(ports)].concat([
            '--pg-url',
            pgUrl,
            '--redis-url',
            REDIS_URL,
          ]),
          dataDir,
        );
        expect(cluster.output).toContain(`metadata: PostgreSQL at ${pgUrl}`);
        expect(cluster.output).toContain('idempotency: Redis at');
        const log = readFileSync(path.join(dataDir, 'logs', 'coordinator-1.log'), 'utf8');
        expect(log).toContain('"metadata":"postgres","idempotency":"redis"');

        const tenants = await query<{ tenant_id: string }>(pgUrl, 'SELECT tenant_id FROM tenants');
        expect(tenants.map((row) => row.tenant_id)).toEqual(['default']);
        const nodes = await query<{ node_id: string }>(
          pgUrl,
          'SELECT node_id FROM storage_nodes ORDER BY node_id',
        );
        expect(nodes.map((row) => row.node_id)).toEqual(['node-0', 'node-1', 'node-2']);

        const put = ['put', 'default', 'paid', 'once', '--idempotency-key', `order-${Date.now()}`];
        expect((await pairdb(put)).stdout).toBe('OK\n');
        // The in-process cache would forget the key with the coordinator; Redis must not.
        const mark = cluster.output.length;
        process.kill(cluster.state().coordinator.pid, 'SIGKILL');
        await cluster.waitForOutput('✓ coordinator-1 up in', 60_000, mark);
        expect((await pairdb(put)).stdout).toContain('duplicate');

        const pids = cluster.pids();
        expect(await cluster.interrupt()).toEqual({ code: 0, signal: null });
        cluster = undefined;
        expect(pids.filter(isAlive)).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );
  });
}
