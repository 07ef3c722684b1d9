// A local cluster on this machine:
//   pairdb cluster start [--nodes N] [--data-dir DIR] [--base-port P] [--http-port P]
//                        [--metrics-port P] [--pg-url URL] [--redis-url URL]
//   pairdb cluster stop [--data-dir DIR]
// The work is in actions/cluster-actions.ts, loaded when one of them runs.
import { Option, type Command } from 'commander';
import type { StartFlags } from '../actions/cluster-actions';
import {
  BASE_PORT_DEFAULT,
  DATA_DIR_DEFAULT,
  HTTP_PORT_DEFAULT,
  METRICS_PORT_DEFAULT,
  NODES_DEFAULT,
  NODES_MAX,
} from '../cluster/cluster-layout';
import { DEFAULT_TENANT_REPLICATION_FACTOR } from '../cluster/default-tenant';
import { integerIn, port, replicationFactor } from '../option-parsers';

/** First start of embedded PostgreSQL creates a database: allow for a slow, busy laptop. */
const START_TIMEOUT_MS_DEFAULT = 120_000;
/** A process needs more than a second to start; an hour means something is wrong. */
const START_TIMEOUT_MS_MIN = 1_000;
const START_TIMEOUT_MS_MAX = 3_600_000;

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('run a local cluster on this machine');
  registerStart(cluster);
  registerStop(cluster);
}

function registerStart(cluster: Command): void {
  const start = cluster
    .command('start')
    .description('start 1 coordinator + N storage nodes on 127.0.0.1; Ctrl-C stops them')
    .option(
      '-n, --nodes <n>',
      'storage nodes on the first start (later starts run the nodes the data dir ran)',
      integerIn(1, NODES_MAX),
      NODES_DEFAULT,
    )
    .option('-d, --data-dir <dir>', 'data and logs, kept between runs', DATA_DIR_DEFAULT)
    .option(
      '--base-port <port>',
      'coordinator gRPC; storage node k gets base + 1 + k',
      port,
      BASE_PORT_DEFAULT,
    )
    .option('--http-port <port>', 'coordinator /healthz and /readyz', port, HTTP_PORT_DEFAULT)
    .option(
      '--metrics-port <port>',
      'coordinator /metrics; storage node k HTTP gets metrics + 1 + k',
      port,
      METRICS_PORT_DEFAULT,
    )
    .addOption(
      new Option('--pg-url <url>', 'metadata in this PostgreSQL (default: embedded PGlite)').env(
        'PAIRDB_PG_URL',
      ),
    )
    .addOption(
      new Option(
        '--redis-url <url>',
        'idempotency records in this Redis (default: in-process)',
      ).env('PAIRDB_REDIS_URL'),
    )
    .option(
      '-r, --replication-factor <n>',
      `of the default tenant when first created (default: min(${DEFAULT_TENANT_REPLICATION_FACTOR}, nodes))`,
      replicationFactor,
    )
    .option('--no-restart', 'stop the cluster when a process dies instead of restarting it')
    .option(
      '--start-timeout <ms>',
      'how long each process may take to become healthy',
      integerIn(START_TIMEOUT_MS_MIN, START_TIMEOUT_MS_MAX),
      START_TIMEOUT_MS_DEFAULT,
    )
    .action(async () => {
      const { startCluster } = await import('../actions/cluster-actions.js');
      const nodesGiven = start.getOptionValueSource('nodes') === 'cli';
      await startCluster({ ...start.opts<StartFlags>(), nodesGiven });
    });
}

function registerStop(cluster: Command): void {
  const stop = cluster
    .command('stop')
    .description('stop the local cluster running from a data dir (as Ctrl-C would)')
    .option('-d, --data-dir <dir>', 'its data dir', DATA_DIR_DEFAULT)
    .action(async () => {
      const { stopLocalCluster } = await import('../actions/cluster-actions.js');
      await stopLocalCluster(stop.opts());
    });
}
