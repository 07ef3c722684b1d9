// pairdb bench: YCSB core workloads A-F against a running cluster (bench/ has the details).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { NotFoundError, PairDBClient, type Consistency } from '@pairdb/client';
import { BenchRunner, type BenchSettings, type WorkloadResult } from '../bench/bench-runner';
import { createProgress } from '../bench/bench-progress';
import { renderReport, type BenchReport } from '../bench/bench-report';
import {
  DISTRIBUTIONS,
  unsupportedReason,
  WORKLOADS,
  type Distribution,
  type Workload,
} from '../bench/workloads';
import { globalOptions } from '../client-session';
import { CommandError } from '../exit-codes';
import { consistencyLevel, integerIn, replicationFactor } from '../option-parsers';
import { toJson } from '../output/json-output';

/** Bounds that keep one invocation within what a laptop cluster can hold and finish. */
const RECORDS_MAX = 100_000_000;
const OPERATIONS_MAX = 1_000_000_000;
const CLIENTS_MAX = 4096;
/** The coordinator's default value limit. */
const VALUE_SIZE_MAX = 1024 * 1024;
const BENCH_TENANT_DEFAULT = 'bench';
/**
 * The replication factor the benchmark figures are quoted at
 * (docs/architecture.md#performance-design: RF 3, QUORUM).
 */
const BENCH_REPLICATION_FACTOR_DEFAULT = 3;
/** Defaults sized for a laptop run of well under a minute per workload. */
const RECORDS_DEFAULT = 10_000;
const OPERATIONS_DEFAULT = 20_000;
/** Enough concurrency to keep a 3-node cluster busy without queueing far past its latency. */
const CLIENTS_DEFAULT = 16;
/** YCSB's record: 10 fields of 100 bytes. */
const VALUE_SIZE_DEFAULT = 1_000;
/** The seed is a 32-bit word (bench/random.ts). */
const SEED_MAX = 2 ** 32 - 1;

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

export function registerBenchCommand(program: Command): void {
  const bench = program
    .command('bench')
    .description('YCSB core workloads (A-F): load phase, then run phase; latency per operation');
  addBenchOptions(bench).action(() => benchAction(bench));
}

function addBenchOptions(bench: Command): Command {
  return bench
    .addOption(
      // The default is shown by name: commander would print the parsed Workload object.
      new Option('-w, --workload <list>', 'A-F, comma-separated (E is reported unsupported)')
        .argParser(workloadList)
        .default([WORKLOADS['A']!], 'A'),
    )
    .option(
      '--records <n>',
      'records loaded first (YCSB recordcount)',
      integerIn(1, RECORDS_MAX),
      RECORDS_DEFAULT,
    )
    .option(
      '--operations <n>',
      'operations per workload run (YCSB operationcount)',
      integerIn(1, OPERATIONS_MAX),
      OPERATIONS_DEFAULT,
    )
    .option(
      '--clients <n>',
      'concurrent callers (YCSB threadcount)',
      integerIn(1, CLIENTS_MAX),
      CLIENTS_DEFAULT,
    )
    .option(
      '--value-size <bytes>',
      'bytes per value',
      integerIn(1, VALUE_SIZE_MAX),
      VALUE_SIZE_DEFAULT,
    )
    .option('--consistency <level>', 'one | quorum | all', consistencyLevel, 'quorum')
    .option(
      '--distribution <name>',
      `override the workload's: ${DISTRIBUTIONS.join(', ')}`,
      distribution,
    )
    .option('--tenant <id>', 'tenant to use (created if absent)', BENCH_TENANT_DEFAULT)
    .option(
      '-r, --replication-factor <n>',
      'of the tenant when the bench creates it',
      replicationFactor,
      BENCH_REPLICATION_FACTOR_DEFAULT,
    )
    .option('--no-load', 'skip the load phase (records are already there)')
    .option(
      '--seed <n>',
      'seed for keys, values and operation mix (default: random)',
      integerIn(0, SEED_MAX),
    )
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress output');
}

async function benchAction(bench: Command): Promise<void> {
  const flags = bench.opts<BenchFlags>();
  const workloads = flags.workload;
  if (workloads.every((workload) => unsupportedReason(workload) !== undefined)) {
    throw new CommandError(
      workloads
        .map((w) => `workload ${w.name} is not supported: ${unsupportedReason(w)}`)
        .join('; '),
    );
  }
  const { address, timeout } = globalOptions(bench);
  // A retry would hide a failure and blur the latency it measures.
  const client = new PairDBClient({ address, timeoutMs: timeout, retry: { attempts: 1 } });
  try {
    const report = await runBench(client, address, flags, workloads);
    process.stdout.write(flags.json ? `${toJson(report)}\n` : renderReport(report));
  } finally {
    client.close();
  }
}

async function runBench(
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

function workloadList(text: string): Workload[] {
  const names = text.split(',').map((name) => name.trim().toUpperCase());
  return names.map((name) => {
    const workload = WORKLOADS[name];
    if (!workload)
      throw new InvalidArgumentError(`unknown workload ${JSON.stringify(name)}: use A-F`);
    return workload;
  });
}

function distribution(text: string): Distribution {
  if (!(DISTRIBUTIONS as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`must be one of ${DISTRIBUTIONS.join(', ')}`);
  }
  return text as Distribution;
}
