// cluster start and stop (commands/cluster-commands.ts defines their options).
import * as path from 'node:path';
import { locateBundles } from '../cluster/app-bundles';
import { clusterLayout } from '../cluster/cluster-layout';
import { DEFAULT_TENANT_REPLICATION_FACTOR } from '../cluster/default-tenant';
import { stopCluster } from '../cluster/cluster-stop';
import { LocalCluster } from '../cluster/local-cluster';
import { readRoster, rosterFilePath } from '../cluster/node-roster';
import { CommandError, EXIT_OK, UsageError } from '../exit-codes';

export interface StartFlags {
  nodes: number;
  /** Whether --nodes was on the command line (not its default). */
  nodesGiven: boolean;
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
  // A data dir that ran before runs the nodes it ran then, added and removed ones included.
  const nodeIndices = readRoster(path.resolve(flags.dataDir));
  const layout = clusterLayout({ ...flags, nodeIndices });
  const nodeCount = layout.nodes.length;
  if (nodeIndices && flags.nodesGiven && flags.nodes !== nodeCount) {
    process.stdout.write(
      `note: --nodes ${flags.nodes} ignored: this data dir's cluster runs ${nodeCount} storage ` +
        `nodes (${rosterFilePath(layout.dataDir)}); change it with \`pairdb node add --start\` ` +
        'and `pairdb node remove`\n',
    );
  }
  const replicationFactor =
    flags.replicationFactor ?? Math.min(DEFAULT_TENANT_REPLICATION_FACTOR, nodeCount);
  if (replicationFactor > nodeCount) {
    throw new UsageError(
      `--replication-factor ${replicationFactor} needs at least that many --nodes ` +
        `(got ${nodeCount})`,
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
