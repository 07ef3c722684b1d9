// \`pairdb status\` on a terminal, in the manner of \`nodetool status\`: a summary line (joining
// and draining nodes counted), the node table (with each node's last anti-entropy repair when
// the coordinator reports them), the running migration and repair, then nodes that did not
// answer.
import type { Migration, RepairStatus } from '@pairdb/client';
import { describeMigration } from '../migration/migration-text';
import { renderTable, type Column } from '../output/table';
import { describeRepair, formatAgo } from '../repair/repair-text';
import { formatBytes, formatPercent } from '../output/units';
import type { ClusterStatus, NodeStatusRow } from './cluster-status';

/** `pairdb status` on a terminal: a summary line, the node table, then what needs attention. */
export function renderStatus(
  address: string,
  status: ClusterStatus,
  running: readonly Migration[],
  /** Absent when the coordinator did not answer GetRepairStatus. */
  repairs?: { readonly status: RepairStatus; readonly nowMs: number },
): string {
  const up = status.nodes.filter((node) => node.health === 'up').length;
  const moving = ['joining', 'draining']
    .map((state) => [state, status.nodes.filter((node) => node.state === state).length] as const)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `, ${count} ${state}`)
    .join('');
  const header =
    `coordinator ${address}: ${status.nodes.length} storage nodes registered, ` +
    `${status.ringSize} in the ring${moving}, ${up} up\n\n`;
  const lastRepairs = new Map(repairs?.status.nodes.map((node) => [node.nodeId, node]));
  const repairColumns: Column<NodeStatusRow>[] = repairs
    ? [
        {
          header: 'LAST REPAIR',
          value: (n) =>
            formatAgo(lastRepairs.get(n.nodeId)?.lastCompletedAtUnixMs ?? 0, repairs.nowMs),
          right: true,
        },
        {
          header: 'REPAIRED',
          value: (n) => optional(lastRepairs.get(n.nodeId)?.keysRepaired),
          right: true,
        },
      ]
    : [];
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
    ...repairColumns,
  ]);
  const problems = status.nodes
    .filter((node) => node.error)
    .map((node) => `${node.nodeId}: ${node.error}\n`)
    .join('');
  const migrations =
    running.map((m) => `migration ${describeMigration(m)}\n`).join('') +
    (repairs?.status.running ? `${describeRepair(repairs.status.running)}\n` : '');
  return (
    `${header}${table}\n` +
    (migrations ? `\n${migrations}` : '') +
    (problems ? `\n${problems}` : '')
  );
}

function optional(value: number | undefined): string {
  return value === undefined ? '-' : String(value);
}
