// pairdb bench (commands/bench-command.ts defines its options; bench/ has the details).
import { NotFoundError, PairDBClient, type Consistency } from '@pairdb/client';
import { BenchRunner, type BenchSettings, type WorkloadResult } from '../bench/bench-runner';
import { createProgress } from '../bench/bench-progress';
import { renderReport, type BenchReport } from '../bench/bench-report';
import { SEED_MAX } from '../bench/random';
import { unsupportedReason, type Distribution, type Workload } from '../bench/workloads';
import { CommandError } from '../exit-codes';
import { toJson } from '../output/json-output';
import type { Session } from '../session';

interface BenchFlags {
  workload: Workload[];
  records: number;
  operations: number;
  clients: number;
  valueSize: number;
  consistency: Consistency;
  distribution?: Distribution;
  tenant: string;
  replicationFactor: number;
  load: boolean;
  seed?: number;
  json?: boolean;
  quiet?: boolean;
}

export async function runBench(session: Session, flags: BenchFlags): Promise<void> {
  const workloads = flags.workload;
  if (workloads.every((workload) => unsupportedReason(workload) !== undefined)) {
    throw new CommandError(
      workloads
        .map((w) => `workload ${w.name} is not supported: ${unsupportedReason(w)}`)
        .join('; '),
    );
  }
  const { address, timeoutMs } = session.connectionSettings();
  // A retry would hide a failure and blur the latency it measures.
  const client = new PairDBClient({ address, timeoutMs, retry: { attempts: 1 } });
  try {
    const report = await benchmark(client, address, flags, workloads);
    process.stdout.write(session.json(flags.json) ? `${toJson(report)}\n` : renderReport(report));
  } finally {
    client.close();
  }
}

async function benchmark(
  client: PairDBClient,
  address: string,
  flags: BenchFlags,
  workloads: readonly Workload[],
): Promise<BenchReport> {
  const settings: BenchSettings = {
    tenant: flags.tenant,
    records: flags.records,
    operations: flags.operations,
    clients: flags.clients,
    valueSize: flags.valueSize,
    consistency: flags.consistency,
    distribution: flags.distribution,
    seed: flags.seed ?? Math.floor(Math.random() * (SEED_MAX + 1)),
  };
  await ensureTenant(client, flags.tenant, flags.replicationFactor);
  const runner = new BenchRunner(client, settings, createProgress(process.stderr, !!flags.quiet));
  const load = flags.load ? await runner.load() : undefined;
  const runs: WorkloadResult[] = [];
  for (const workload of workloads) runs.push(await runner.run(workload));
  return { address, settings, load, runs };
}

async function ensureTenant(client: PairDBClient, tenant: string, replicationFactor: number) {
  try {
    const existing = await client.getTenant(tenant);
    if (existing.replicationFactor !== replicationFactor) {
      process.stderr.write(
        `note: tenant ${tenant} has replication factor ${existing.replicationFactor}; ` +
          'the bench uses it as it is\n',
      );
    }
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await client.createTenant(tenant, { replicationFactor });
  }
}
