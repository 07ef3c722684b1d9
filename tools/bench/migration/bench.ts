// Migration benchmark (docs/benchmarks.md#migration): a 4th storage node joins a 3-node cluster
// holding 20,000 keys of 1 KiB (10,000 in a tenant at replication factor 1, 10,000 at 3), while a
// closed-loop writer keeps writing at QUORUM. Printed, never asserted:
// - the migration's throughput: keys and MB copied per second, start to completion;
// - foreground QUORUM write throughput during the migration, as a ratio of the same load on the
//   same cluster just before it (target in docs/architecture.md#membership-and-migrations: >= 0.9
//   is what anti-entropy aims for; a migration's own figure is reported as measured).
// - cores each process used in both windows, to say where the migration's CPU goes.
// Every process runs its production bundle (apps/*/dist/main.js) on 127.0.0.1 with free ports;
// the load runs in this process, so its CPU is shared with the servers on a small machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { coordinatorV1 } from '@pairdb/proto';
import {
  COORDINATOR_BUNDLE,
  freePort,
  ServiceProcess,
  STORAGE_NODE_BUNDLE,
} from '../coordinator/cluster';
import { startCpuWindow, type CpuGroups } from '../coordinator/process-cpu';

const KEYS_PER_TENANT = Number(process.env['PAIRDB_BENCH_MIGRATION_KEYS'] ?? 10_000);
const VALUE_BYTES = 1_024;
const CLIENTS = 16;
const BASELINE_SECONDS = 10;
const CALL_DEADLINE_MS = 10_000;
const MIGRATION_TIMEOUT_MS = 15 * 60_000;
/** Set to a directory to write V8 CPU profiles of every server there (profile-summary.ts reads them). */
const PROFILE_DIR = process.env['PAIRDB_BENCH_PROFILE_DIR'];
const nodeArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [];
const TENANTS = [
  { tenantId: 'bench-rf1', replicationFactor: 1 },
  { tenantId: 'bench-rf3', replicationFactor: 3 },
];

type Client = coordinatorV1.CoordinatorServiceClient;

function call<T>(
  issue: (done: (error: ServiceError | null, reply: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    issue((error, reply) => (error ? reject(error) : resolve(reply))),
  );
}

const options = () => ({ deadline: Date.now() + CALL_DEADLINE_MS });
const value = Buffer.alloc(VALUE_BYTES, 0x61);

function write(client: Client, tenantId: string, key: string): Promise<unknown> {
  return call((done) =>
    client.writeKeyValue(
      coordinatorV1.WriteKeyValueRequest.fromPartial({
        tenantId,
        key,
        value,
        consistency: 'quorum',
      }),
      new Metadata(),
      options(),
      done,
    ),
  );
}

async function startNode(root: string, index: number) {
  const nodeId = `node-${index}`;
  const port = await freePort();
  const node = new ServiceProcess(
    nodeId,
    STORAGE_NODE_BUNDLE,
    {
      PAIRDB_NODE_ID: nodeId,
      PAIRDB_DATA_DIR: path.join(root, nodeId),
      PAIRDB_SERVER_HOST: '127.0.0.1',
      PAIRDB_SERVER_PORT: String(port),
      PAIRDB_HTTP_HOST: '127.0.0.1',
      PAIRDB_HTTP_PORT: '0',
      PAIRDB_STORAGE_SYNC_POLICY: 'always',
      PAIRDB_LOGGING_LEVEL: 'info',
    },
    nodeArgs,
  );
  await node.start('"storage node serving"');
  return { node, nodeId, port };
}

/** Closed-loop QUORUM writers until `until` resolves; answers writes per second. */
async function writeLoad(client: Client, until: Promise<unknown>, label: string) {
  let running = true;
  let writes = 0;
  let errors = 0;
  let sequence = 0;
  const started = performance.now();
  void until.finally(() => (running = false));
  const loops = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      const key = `${label}-${sequence++ % KEYS_PER_TENANT}`;
      await write(client, 'bench-rf3', key).then(
        () => writes++,
        () => errors++,
      );
    }
  });
  await Promise.all(loops);
  const seconds = (performance.now() - started) / 1_000;
  return { writesPerSecond: writes / seconds, errors, seconds };
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'pairdb-migration-bench-'));
  const processes: ServiceProcess[] = [];
  try {
    const nodes = [];
    for (let index = 1; index <= 4; index++) {
      const started = await startNode(root, index);
      processes.push(started.node);
      nodes.push(started);
    }
    const coordinator = new ServiceProcess(
      'coordinator',
      COORDINATOR_BUNDLE,
      {
        PAIRDB_NODE_ID: 'coordinator-bench',
        PAIRDB_DATA_DIR: path.join(root, 'coordinator'),
        PAIRDB_SERVER_HOST: '127.0.0.1',
        PAIRDB_SERVER_PORT: '0',
        PAIRDB_HTTP_HOST: '127.0.0.1',
        PAIRDB_HTTP_PORT: '0',
        PAIRDB_METRICS_HOST: '127.0.0.1',
        PAIRDB_METRICS_PORT: '0',
        PAIRDB_LOGGING_LEVEL: 'info',
      },
      nodeArgs,
    );
    processes.push(coordinator);
    const ready = await coordinator.start('"coordinator serving"');
    const client = new coordinatorV1.CoordinatorServiceClient(
      `127.0.0.1:${String(ready['grpcPort'])}`,
      credentials.createInsecure(),
    );
    for (const { nodeId, port } of nodes.slice(0, 3)) {
      await call((done) =>
        client.addStorageNode(
          { nodeId, host: '127.0.0.1', port, virtualNodes: 0 },
          new Metadata(),
          options(),
          done,
        ),
      );
    }
    for (const tenant of TENANTS) {
      await call((done) =>
        client.createTenant(
          { ...tenant, conflictResolution: 'lww' },
          new Metadata(),
          options(),
          done,
        ),
      );
    }
    process.stdout.write(
      `loading ${KEYS_PER_TENANT * TENANTS.length} keys of ${VALUE_BYTES} bytes...\n`,
    );
    for (const { tenantId } of TENANTS) {
      for (let i = 0; i < KEYS_PER_TENANT; i += 64) {
        const batch = Array.from({ length: Math.min(64, KEYS_PER_TENANT - i) }, (_, j) =>
          write(client, tenantId, `key-${i + j}`),
        );
        await Promise.all(batch);
      }
    }
    const cpuGroups: CpuGroups = {
      coordinator: [coordinator.pid!],
      'storage nodes 1-3 (sources)': nodes.slice(0, 3).map(({ node }) => node.pid!),
      'storage node 4 (joining)': [nodes[3]!.node.pid!],
      'benchmark (load)': [process.pid],
    };
    const baselineDone = new Promise((resolve) => setTimeout(resolve, BASELINE_SECONDS * 1_000));
    const endBaselineCpu = startCpuWindow(cpuGroups);
    const baseline = await writeLoad(client, baselineDone, 'key');
    const baselineCpu = endBaselineCpu();

    const joining = nodes[3]!;
    const started = performance.now();
    const endMigrationCpu = startCpuWindow(cpuGroups);
    const added = await call<coordinatorV1.AddStorageNodeResponse>((done) =>
      client.addStorageNode(
        { nodeId: joining.nodeId, host: '127.0.0.1', port: joining.port, virtualNodes: 0 },
        new Metadata(),
        options(),
        done,
      ),
    );
    const completed = (async () => {
      for (;;) {
        const { migration } = await call<coordinatorV1.GetMigrationStatusResponse>((done) =>
          client.getMigrationStatus(
            { migrationId: added.migrationId },
            new Metadata(),
            options(),
            done,
          ),
        );
        if (migration!.status !== 'in_progress') return migration!;
        if (performance.now() - started > MIGRATION_TIMEOUT_MS)
          throw new Error('migration too slow');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const during = await writeLoad(client, completed, 'key');
    const migration = await completed;
    const seconds = (performance.now() - started) / 1_000;
    const migrationCpu = endMigrationCpu();
    client.close();

    const keys = Number(migration.keysMigrated);
    const megabytes = Number(migration.bytesMigrated) / 1_000_000;
    const rows: [string, string][] = [
      ['migration', `${migration.type} ${migration.status}`],
      ['keys in the cluster', String(KEYS_PER_TENANT * TENANTS.length)],
      ['keys copied', String(keys)],
      ['MB copied', megabytes.toFixed(1)],
      ['migration seconds (admission to completion)', seconds.toFixed(1)],
      ['copy throughput keys/s', (keys / seconds).toFixed(0)],
      ['copy throughput MB/s', (megabytes / seconds).toFixed(2)],
      [`QUORUM writes/s, ${CLIENTS} clients, no migration`, baseline.writesPerSecond.toFixed(0)],
      [
        `QUORUM writes/s, ${CLIENTS} clients, during the migration`,
        during.writesPerSecond.toFixed(0),
      ],
      ['during / without', (during.writesPerSecond / baseline.writesPerSecond).toFixed(2)],
      ['write errors during the migration', String(during.errors)],
      ...Object.keys(cpuGroups).map((name): [string, string] => [
        `cores used by ${name}, without / during`,
        `${cores(baselineCpu[name])} / ${cores(migrationCpu[name])}`,
      ]),
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    process.stdout.write('\n' + rows.map(([l, v]) => `${l.padEnd(width)}  ${v}`).join('\n') + '\n');
  } finally {
    for (const process of processes.reverse()) await process.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

function cores(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : value.toFixed(2);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
