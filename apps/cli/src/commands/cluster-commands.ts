// A local cluster on this machine:
//   pairdb cluster start [--nodes N] [--data-dir DIR] [--base-port P] [--http-port P]
//                        [--metrics-port P] [--pg-url URL] [--redis-url URL]
//   pairdb cluster stop [--data-dir DIR]
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { CommandError, EXIT_OK, UsageError } from '../exit-codes';
import { locateBundles } from '../cluster/app-bundles';
import { DEFAULT_TENANT_REPLICATION_FACTOR } from '../cluster/cluster-bootstrap';
import {
  BASE_PORT_DEFAULT,
  clusterLayout,
  DATA_DIR_DEFAULT,
  HTTP_PORT_DEFAULT,
  METRICS_PORT_DEFAULT,
  NODES_DEFAULT,
  NODES_MAX,
} from '../cluster/cluster-layout';
import { stopCluster } from '../cluster/cluster-stop';
import { LocalCluster, START_TIMEOUT_MS_DEFAULT } from '../cluster/local-cluster';
import { integerIn, port, replicationFactor } from '../option-parsers';

/** A process needs more than a second to start; an hour means something is wrong. */
const START_TIMEOUT_MS_MIN = 1_000;
const START_TIMEOUT_MS_MAX = 3_600_000;

interface StartFlags {
  nodes: number;
  dataDir: string;
  basePort: number;
  httpPort: number;
  metricsPort: number;
  pgUrl?: string;
  redisUrl?: string;
  replicationFactor?: number;
  restart: boolean;
  startTimeout: number;
}

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('run a local cluster on this machine');
  registerStart(cluster);
  registerStop(cluster);
}

function registerStart(cluster: Command): void {
  const start = cluster
    .command('start')
    .description('start 1 coordinator + N storage nodes on 127.0.0.1; Ctrl-C stops them')
    .option('-n, --nodes <n>', 'storage nodes', integerIn(1, NODES_MAX), NODES_DEFAULT)
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
      const flags = start.opts<StartFlags>();
      const layout = clusterLayout(flags);
      const replicationFactor =
        flags.replicationFactor ?? Math.min(DEFAULT_TENANT_REPLICATION_FACTOR, flags.nodes);
      if (replicationFactor > flags.nodes) {
        throw new UsageError(
          `--replication-factor ${replicationFactor} needs at least that many --nodes ` +
            `(got ${flags.nodes})`,
        );
      }
      const supervisor = new LocalCluster({
        layout,
        bundles: locateBundles(),
        pgUrl: flags.pgUrl || undefined,
        redisUrl: flags.redisUrl || undefined,
        replicationFactor,
        restart: flags.restart,
        startTimeoutMs: flags.startTimeout,
        out: (line) => process.stdout.write(`${line}\n`),
      });
      const code = await supervisor.run();
      if (code !== EXIT_OK) throw new CommandError('the cluster stopped with failures', code);
    });
}

function registerStop(cluster: Command): void {
  const stop = cluster
    .command('stop')
    .description('stop the local cluster running from a data dir (as Ctrl-C would)')
    .option('-d, --data-dir <dir>', 'its data dir', DATA_DIR_DEFAULT)
    .action(async () => {
      const dataDir = path.resolve(stop.opts<{ dataDir: string }>().dataDir);
      process.stdout.write(`${await stopCluster(dataDir)}\n`);
    });
}
