// Storage-node membership:
//   pairdb node add ID HOST:PORT [--virtual-nodes N]
//   pairdb node remove ID
//   pairdb node list
import type { Command } from 'commander';
import type { NodeChange, StorageNode } from '@pairdb/client';
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import { withClient } from '../client-session';
import { hostPort, integerIn } from '../option-parsers';
import { toJson } from '../output/json-output';
import { renderTable } from '../output/table';

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('add, remove and list storage nodes');

  const add = node
    .command('add')
    .description('register a running storage node with the cluster')
    .argument('<id>', 'node id, as the node was started with (PAIRDB_NODE_ID)')
    .argument('<host:port>', "the node's gRPC address as coordinators reach it", hostPort)
    .option(
      '--virtual-nodes <n>',
      "ring positions (default: the coordinator's hash_ring.virtual_nodes, 150)",
      integerIn(1, VIRTUAL_NODES_MAX),
    )
    .option('--json', 'print the node and migration id as JSON')
    .action(async (id: string, address: { host: string; port: number }) => {
      const flags = add.opts<{ virtualNodes?: number; json?: boolean }>();
      const added = await withClient(add, (client) =>
        client.addStorageNode({ nodeId: id, ...address, virtualNodes: flags.virtualNodes }),
      );
      if (flags.json) {
        process.stdout.write(`${toJson(added)}\n`);
        return;
      }
      const n = added.node;
      process.stdout.write(
        `added ${n.nodeId} at ${n.host}:${n.port} (${n.status}, ${n.virtualNodes} virtual nodes)\n` +
          migrationLine(added),
      );
    });

  const remove = node
    .command('remove')
    .description('take a storage node out of the ring')
    .argument('<id>', 'node id')
    .option('--json', 'print the migration id as JSON')
    .action(async (id: string) => {
      const removed = await withClient(remove, (client) => client.removeStorageNode(id));
      if (remove.opts<{ json?: boolean }>().json) {
        process.stdout.write(`${toJson(removed)}\n`);
        return;
      }
      process.stdout.write(`removed ${id}\n${migrationLine(removed)}`);
    });

  const list = node
    .command('list')
    .alias('ls')
    .description('list registered storage nodes')
    .option('--json', 'print the nodes as JSON')
    .action(async () => {
      const nodes = await withClient(list, (client) => client.listStorageNodes());
      process.stdout.write(
        list.opts<{ json?: boolean }>().json ? `${toJson(nodes)}\n` : `${nodeTable(nodes)}\n`,
      );
    });
}

function migrationLine(change: NodeChange): string {
  return change.migrationId === ''
    ? 'no data migration started (the coordinator changes membership at once)\n'
    : `migration ${change.migrationId}: follow it with ` +
        `\`pairdb migration status ${change.migrationId} --watch\`\n`;
}

export function nodeTable(nodes: readonly StorageNode[]): string {
  return renderTable(nodes, [
    { header: 'NODE', value: (n) => n.nodeId },
    { header: 'ADDRESS', value: (n) => `${n.host}:${n.port}` },
    { header: 'STATUS', value: (n) => n.status },
    { header: 'VNODES', value: (n) => String(n.virtualNodes), right: true },
  ]);
}
