// node add, remove and list (commands/node-commands.ts defines their options).
import type { NodeChange, StorageNode } from '@pairdb/client';
import { toJson } from '../output/json-output';
import { renderTable } from '../output/table';
import type { Session } from '../session';

interface JsonFlag {
  json?: boolean;
}

export async function addNode(
  session: Session,
  nodeId: string,
  address: { host: string; port: number },
  flags: JsonFlag & { virtualNodes?: number },
): Promise<void> {
  const client = await session.client();
  const added = await client.addStorageNode({
    nodeId,
    ...address,
    virtualNodes: flags.virtualNodes,
  });
  if (session.json(flags.json)) {
    process.stdout.write(`${toJson(added)}\n`);
    return;
  }
  const n = added.node;
  process.stdout.write(
    `added ${n.nodeId} at ${n.host}:${n.port} (${n.status}, ${n.virtualNodes} virtual nodes)\n` +
      migrationLine(added),
  );
}

export async function removeNode(session: Session, nodeId: string, flags: JsonFlag) {
  const client = await session.client();
  const removed = await client.removeStorageNode(nodeId);
  if (session.json(flags.json)) {
    process.stdout.write(`${toJson(removed)}\n`);
    return;
  }
  process.stdout.write(`removed ${nodeId}\n${migrationLine(removed)}`);
}

export async function listNodes(session: Session, flags: JsonFlag): Promise<void> {
  const client = await session.client();
  const nodes = await client.listStorageNodes();
  process.stdout.write(session.json(flags.json) ? `${toJson(nodes)}\n` : `${nodeTable(nodes)}\n`);
}

function migrationLine(change: NodeChange): string {
  return change.migrationId === ''
    ? 'no data migration started (the coordinator changes membership at once)\n'
    : `migration ${change.migrationId}: follow it with ` +
        `\`pairdb migration status ${change.migrationId} --watch\`\n`;
}

function nodeTable(nodes: readonly StorageNode[]): string {
  return renderTable(nodes, [
    { header: 'NODE', value: (n) => n.nodeId },
    { header: 'ADDRESS', value: (n) => `${n.host}:${n.port}` },
    { header: 'STATUS', value: (n) => n.status },
    { header: 'VNODES', value: (n) => String(n.virtualNodes), right: true },
  ]);
}
