// pairdb status (commands/status-command.ts defines its options).
import { probeStorageNode, type PairDBClient } from '@pairdb/client';
import { toJson } from '../output/json-output';
import { renderTable } from '../output/table';
import { formatBytes, formatPercent } from '../output/units';
import type { Session } from '../session';
import { gatherStatus, type ClusterStatus } from '../status/cluster-status';

interface StatusFlags {
  replicationFactor: number;
  tenant?: string;
  json?: boolean;
}

export async function showStatus(session: Session, flags: StatusFlags): Promise<void> {
  const client = await session.client();
  const result = await gatherStatus(
    await client.listStorageNodes(),
    await replicationFactorOf(client, flags),
    (nodeAddress) => probeStorageNode(nodeAddress),
  );
  const address = client.address;
  process.stdout.write(
    session.json(flags.json)
      ? `${toJson({ coordinator: address, ...result })}\n`
      : render(address, result),
  );
}

async function replicationFactorOf(client: PairDBClient, flags: StatusFlags): Promise<number> {
  if (flags.tenant !== undefined) return (await client.getTenant(flags.tenant)).replicationFactor;
  return flags.replicationFactor;
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
