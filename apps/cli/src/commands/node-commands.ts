// Storage-node membership:
//   pairdb node add ID HOST:PORT [--virtual-nodes N]
//   pairdb node remove ID
//   pairdb node list
// The work is in actions/node-actions.ts, loaded when one of them runs.
import type { Command } from 'commander';
import { VIRTUAL_NODES_MAX } from '../client-values';
import type { Session } from '../session';
import { hostPort, integerIn } from '../option-parsers';

export function registerNodeCommands(program: Command, session: Session): void {
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
      const { addNode } = await import('../actions/node-actions.js');
      await addNode(session, id, address, add.opts());
    });

  const remove = node
    .command('remove')
    .description('take a storage node out of the ring')
    .argument('<id>', 'node id')
    .option('--json', 'print the migration id as JSON')
    .action(async (id: string) => {
      const { removeNode } = await import('../actions/node-actions.js');
      await removeNode(session, id, remove.opts());
    });

  const list = node
    .command('list')
    .alias('ls')
    .description('list registered storage nodes')
    .option('--json', 'print the nodes as JSON')
    .action(async () => {
      const { listNodes } = await import('../actions/node-actions.js');
      await listNodes(session, list.opts());
    });
}
