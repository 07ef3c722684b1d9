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
import { credentials, Metadata } from '@grpc/grpc-js';
import { coordinatorV1 } from '@pairdb/proto';
import {
  coordinatorProcess,
  freePort,
  storageNodeProcess,
  type ServiceProcess,
} from '../coordinator/cluster';
import {
  addStorageNode,
  BENCH_VALUE_BYTES,
  call,
  callOptions,
  closedLoopWrites,
  createTenant,
  loadKeys,
  type CoordinatorClient,
} from '../coordinator/coordinator-calls';
import { startCpuWindow, type CpuGroups } from '../coordinator/process-cpu';

const KEYS_PER_TENANT = Number(process.env['PAIRDB_BENCH_MIGRATION_KEYS'] ?? 10_000);
const CLIENTS = 16;
const BASELINE_SECONDS = 10;
const MIGRATION_TIMEOUT_MS = 15 * 60_000;
/** Set to a directory to write V8 CPU profiles of every server there (profile-summary.ts reads them). */
const PROFILE_DIR = process.env['PAIRDB_BENCH_PROFILE_DIR'];
const nodeArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [];
const TENANTS = [
  { tenantId: 'bench-rf1', replicationFactor: 1 },
  { tenantId: 'bench-rf3', replicationFactor: 3 },
];

async function startNode(root: string, index: number) {
  const nodeId = `node-${index}`;
  const port = await freePort();
  const node = storageNodeProcess(root, nodeId, port, 'always', nodeArgs);
  await node.start('"storage node serving"');
  return { node, nodeId, port };
}

/** Closed-loop QUORUM writers on the RF 3 tenant until `until` resolves. */
function writeLoad(client: CoordinatorClient, until: Promise<unknown>) {
  return closedLoopWrites(client, {
    tenantId: 'bench-rf3',
    clients: CLIENTS,
    keyCount: KEYS_PER_TENANT,
    until,
  });
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
    const coordinator = coordinatorProcess(root, {}, nodeArgs);
    processes.push(coordinator);
    const ready = await coordinator.start('"coordinator serving"');
    const client = new coordinatorV1.CoordinatorServiceClient(
      `127.0.0.1:${String(ready['grpcPort'])}`,
      credentials.createInsecure(),
    );
    for (const node of nodes.slice(0, 3)) await addStorageNode(client, node);
    for (const tenant of TENANTS) await createTenant(client, tenant);
    process.stdout.write(
      `loading ${KEYS_PER_TENANT * TENANTS.length} keys of ${BENCH_VALUE_BYTES} bytes...\n`,
    );
    for (const { tenantId } of TENANTS) await loadKeys(client, tenantId, KEYS_PER_TENANT, 'quorum');
    const cpuGroups: CpuGroups = {
      coordinator: [coordinator.pid!],
      'storage nodes 1-3 (sources)': nodes.slice(0, 3).map(({ node }) => node.pid!),
      'storage node 4 (joining)': [nodes[3]!.node.pid!],
      'benchmark (load)': [process.pid],
    };
    const baselineDone = new Promise((resolve) => setTimeout(resolve, BASELINE_SECONDS * 1_000));
    const endBaselineCpu = startCpuWindow(cpuGroups);
    const baseline = await writeLoad(client, baselineDone);
    const baselineCpu = endBaselineCpu();

    const joining = nodes[3]!;
    const started = performance.now();
    const endMigrationCpu = startCpuWindow(cpuGroups);
    const added = await addStorageNode(client, joining);
    const completed = (async () => {
      for (;;) {
        const { migration } = await call<coordinatorV1.GetMigrationStatusResponse>((done) =>
          client.getMigrationStatus(
            { migrationId: added.migrationId },
            new Metadata(),
            callOptions(),
            done,
          ),
        );
        if (migration!.status !== 'in_progress') return migration!;
        if (performance.now() - started > MIGRATION_TIMEOUT_MS)
          throw new Error('migration too slow');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const during = await writeLoad(client, completed);
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
