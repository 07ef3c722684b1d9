// Storage-node membership:
//   pairdb node add ID HOST:PORT [--virtual-nodes N] [--watch]   a node you started yourself
//   pairdb node add --start [--data-dir DIR] [--watch]          one more node of the local cluster
//   pairdb node remove ID [--force] [--watch]
//   pairdb node list
// The work is in actions/node-actions.ts, loaded when one of them runs.
import type { Command } from 'commander';
import type { AddFlags } from '../actions/node-actions';
import { VIRTUAL_NODES_MAX } from '../client-values';
import { DATA_DIR_DEFAULT } from '../cluster/cluster-layout';
import type { Session } from '../session';
import { hostPort, integerIn } from '../option-parsers';
import { addWatchOptions } from './migration-commands';

export function registerNodeCommands(program: Command, session: Session): void {
  const node = program.command('node').description('add, remove and list storage nodes');
  registerAdd(node, session);
  registerRemove(node, session);

  const list = node
    .command('list')
    .alias('ls')
    .description('list registered storage nodes: joining, active, draining or inactive')
    .option('--json', 'print the nodes as JSON')
    .action(async () => {
      const { listNodes } = await import('../actions/node-actions.js');
      await listNodes(session, list.opts());
    });
}

function registerAdd(node: Command, session: Session): void {
  const add = addWatchOptions(
    node
      .command('add')
      .description(
        'add a storage node: a migration moves its share of the data to it. Either register a ' +
          'node you started (ID HOST:PORT), or --start one more node of the local cluster',
      )
      .argument('[id]', 'node id, as the node was started with (PAIRDB_NODE_ID)')
      .argument('[host:port]', "the node's gRPC address as coordinators reach it", hostPort),
  )
    .option(
      '--start',
      'have the running local cluster (npm start) start the next node-<k> and add it',
    )
    .option('-d, --data-dir <dir>', 'with --start: the local cluster data dir', DATA_DIR_DEFAULT)
    .option(
      '--virtual-nodes <n>',
      "ring positions (default: the coordinator's hash_ring.virtual_nodes, 150)",
      integerIn(1, VIRTUAL_NODES_MAX),
    )
    .option('--json', 'print the node and migration id as JSON')
    .action(async (id?: string, address?: { host: string; port: number }) => {
      const { addNode, startLocalNode } = await import('../actions/node-actions.js');
      const flags = add.opts<AddFlags>();
      if (flags.start) await startLocalNode(session, id, address, flags);
      else await addNode(session, id, address, flags);
    });
}

function registerRemove(node: Command, session: Session): void {
  const remove = addWatchOptions(
    node
      .command('remove')
      .description(
        'remove a storage node: it drains while a migration moves its data to the others; the ' +
          'local cluster stops its process when that completes',
      )
      .argument('<id>', 'node id'),
  )
    .option(
      '--force',
      'remove even a node that is down and holds the only copy of some keys (they are lost)',
    )
    .option(
      '-d, --data-dir <dir>',
      'the local cluster data dir, if it runs the node',
      DATA_DIR_DEFAULT,
    )
    .option('--json', 'print the migration id as JSON')
    .action(async (id: string) => {
      const { removeNode } = await import('../actions/node-actions.js');
      await removeNode(session, id, remove.opts());
    });
}
