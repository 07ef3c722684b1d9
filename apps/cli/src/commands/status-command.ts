// pairdb status [--replication-factor N | --tenant ID] [--json]
import type { Command } from 'commander';
import { probeStorageNode, type PairDBClient } from '@pairdb/client';
import { withClient } from '../client-session';
import { replicationFactor } from '../option-parsers';
import { toJson } from '../output/json-output';
import { renderTable } from '../output/table';
import { formatBytes, formatPercent } from '../output/units';
import { gatherStatus, type ClusterStatus } from '../status/cluster-status';

/** The replication factor new tenants get by default: the "effective" column's default. */
const REPLICATION_FACTOR_DEFAULT = 3;

export function registerStatusCommand(program: Command): void {
  const status = program
    .command('status')
    .description('nodes, state, ring ownership, health and key counts')
    .option(
      '-r, --replication-factor <n>',
      `replication factor for the EFFECTIVE column (default ${REPLICATION_FACTOR_DEFAULT})`,
      replicationFactor,
    )
    .option('--tenant <id>', "use this tenant's replication factor for EFFECTIVE")
    .option('--json', 'print the status as JSON')
    .action(async () => {
      const flags = status.opts<{ replicationFactor?: number; tenant?: string; json?: boolean }>();
      const address = status.optsWithGlobals<{ address: string }>().address;
      const result = await withClient(status, async (client) =>
        gatherStatus(
          await client.listStorageNodes(),
          await replicationFactorOf(client, flags),
          (nodeAddress) => probeStorageNode(nodeAddress),
        ),
      );
      process.stdout.write(
        flags.json ? `${toJson({ coordinator: address, ...result })}\n` : render(address, result),
      );
    });
}

async function replicationFactorOf(
  client: PairDBClient,
  flags: { replicationFactor?: number; tenant?: string },
): Promise<number> {
  if (flags.tenant !== undefined) return (await client.getTenant(flags.tenant)).replicationFactor;
  return flags.replicationFactor ?? REPLICATION_FACTOR_DEFAULT;
}

function render(address: string, status: ClusterStatus): string {
  const up = status.nodes.filter((node) => node.health === 'up').length;
  const header =
    `coordinator ${address}: ${status.nodes.length} storage nodes registered, ` +
    `${status.ringSize} in the ring, ${up} up\n\n`;
  const table = renderTable(status.nodes, [
    { header: 'NODE', value: (n) => n.nodeId },
    { header: 'ADDRESS', value: (n) => n.address },
    { header: 'STATE', value: (n) => n.state },
    { header: 'OWNS', value: (n) => formatPercent(n.owns), right: true },
    {
      header: `EFFECTIVE(RF${status.replicationFactor})`,
      value: (n) => formatPercent(n.effective),
      right: true,
    },
    { header: 'HEALTH', value: (n) => n.health },
    { header: 'KEYS', value: (n) => (n.keys === undefined ? '-' : String(n.keys)), right: true },
    { header: 'HINTS', value: (n) => optional(n.hintsPending), right: true },
    {
      header: 'FREE DISK',
      value: (n) => (n.freeDiskBytes === undefined ? '-' : formatBytes(n.freeDiskBytes)),
      right: true,
    },
  ]);
  const problems = status.nodes
    .filter((node) => node.error)
    .map((node) => `${node.nodeId}: ${node.error}\n`)
    .join('');
  return `${header}${table}\n${problems ? `\n${problems}` : ''}`;
}

function optional(value: number | undefined): string {
  return value === undefined ? '-' : String(value);
}
