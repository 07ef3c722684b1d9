// pairdb bench: YCSB core workloads A-F against a running cluster (bench/ has the details).
// The work is in actions/bench-action.ts, loaded when it runs.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SEED_MAX } from '../bench/random';
import { DISTRIBUTIONS, WORKLOADS, type Distribution, type Workload } from '../bench/workloads';
import type { Session } from '../session';
import { consistencyLevel, integerIn, replicationFactor } from '../option-parsers';

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

export function registerBenchCommand(program: Command, session: Session): void {
  const bench = program
    .command('bench')
    .description('YCSB core workloads (A-F): load phase, then run phase; latency per operation');
  addBenchOptions(bench).action(async () => {
    const { runBench } = await import('../actions/bench-action.js');
    await runBench(session, bench.opts());
  });
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
