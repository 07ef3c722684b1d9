// cluster start and stop (commands/cluster-commands.ts defines their options).
import * as path from 'node:path';
import { locateBundles } from '../cluster/app-bundles';
import { clusterLayout } from '../cluster/cluster-layout';
import { DEFAULT_TENANT_REPLICATION_FACTOR } from '../cluster/default-tenant';
import { stopCluster } from '../cluster/cluster-stop';
import { LocalCluster } from '../cluster/local-cluster';
import { CommandError, EXIT_OK, UsageError } from '../exit-codes';

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

export async function startCluster(flags: StartFlags): Promise<void> {
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
}

export async function stopLocalCluster(flags: { dataDir: string }): Promise<void> {
  process.stdout.write(`${await stopCluster(path.resolve(flags.dataDir))}\n`);
}
