// node add, remove and list (commands/node-commands.ts defines their options).
import * as path from 'node:path';
import type { NodeChange, PairDBClient, StorageNode } from '@pairdb/client';
import {
  localNodePid,
  NODE_STOP_WAIT_MS,
  startStorageNode,
  waitUntilNodeStopped,
} from '../cluster/supervisor-control-client';
import type { StartedStorageNode } from '../cluster/supervisor-control';
import { UsageError } from '../exit-codes';
import {
  checkWatchEnd,
  followAdmission,
  followMigration,
  type WatchEnd,
  type WatchFlags,
} from '../migration/migration-follow';
import { toJson } from '../output/json-output';
import { renderTable } from '../output/table';
import type { Session } from '../session';

interface JsonFlag {
  json?: boolean;
}

export interface AddFlags extends JsonFlag, WatchFlags {
  start?: boolean;
  virtualNodes?: number;
  dataDir: string;
}

type Address = { host: string; port: number };

export async function addNode(
  session: Session,
  nodeId: string | undefined,
  address: Address | undefined,
  flags: AddFlags,
): Promise<void> {
  if (nodeId === undefined || address === undefined) {
    throw new UsageError(
      'node add needs <id> and <host:port> of a storage node you started, or --start to have ' +
        'the local cluster start one',
    );
  }
  const client = await session.client();
  const json = session.json(flags.json);
  const added = await client.addStorageNode({
    nodeId,
    ...address,
    virtualNodes: flags.virtualNodes,
  });
  if (!json) {
    const n = added.node;
    process.stdout.write(
      `added ${n.nodeId} at ${n.host}:${n.port} (${n.status}, ${n.virtualNodes} virtual nodes)\n` +
        migrationLine(added),
    );
  }
  await followAdmission(client, added, { ...flags, json });
}

/** `node add --start`: the running local cluster starts the next node and adds it. */
export async function startLocalNode(
  session: Session,
  nodeId: string | undefined,
  address: Address | undefined,
  flags: AddFlags,
): Promise<void> {
  if (nodeId !== undefined || address !== undefined) {
    throw new UsageError(
      `node add --start picks the node id and ports itself (the next node-<k>): ` +
        `give no <id> or <host:port> (got ${[nodeId, address && `${address.host}:${address.port}`].filter(Boolean).join(' ')})`,
    );
  }
  const json = session.json(flags.json);
  const started = await startStorageNode(path.resolve(flags.dataDir), {
    virtualNodes: flags.virtualNodes,
  });
  if (!json) process.stdout.write(describeStarted(started));
  const coordinator = await coordinatorClient(session, started.coordinatorAddress);
  try {
    await followAdmission(coordinator.client, started, { ...flags, json });
  } finally {
    coordinator.close();
  }
}

export async function removeNode(
  session: Session,
  nodeId: string,
  flags: JsonFlag & WatchFlags & { force?: boolean; dataDir: string },
): Promise<void> {
  const client = await session.client();
  const json = session.json(flags.json);
  const removed = await client.removeStorageNode(nodeId, { force: flags.force });
  const dataDir = path.resolve(flags.dataDir);
  const pid = localNodePid(dataDir, client.address, nodeId);
  if (!json) {
    process.stdout.write(
      removed.migrationId === ''
        ? `removed ${nodeId} (no tenant holds data, so nothing moves)\n`
        : `removing ${nodeId}: it drains while migration ${removed.migrationId} moves its data ` +
            'to the other nodes\n' +
            followHint(removed.migrationId),
    );
    if (pid !== undefined) {
      process.stdout.write(
        `the local cluster stops ${nodeId} (pid ${pid}) once it has left the ring\n`,
      );
    }
  }
  let end: WatchEnd | undefined;
  if (flags.watch && removed.migrationId !== '') {
    end = await followMigration(client, removed.migrationId, { intervalMs: flags.interval, json });
  }
  const left = flags.watch && (!end || (end.final.status === 'completed' && !end.interrupted));
  const stopped =
    pid !== undefined && left
      ? await waitUntilNodeStopped(dataDir, nodeId, pid, NODE_STOP_WAIT_MS)
      : undefined;
  if (json) {
    const output = { ...removed, migration: end?.final, processStopped: stopped };
    process.stdout.write(`${toJson(output)}\n`);
  } else if (stopped !== undefined) {
    process.stdout.write(
      stopped
        ? `${nodeId} left the ring; the local cluster stopped its process (pid ${pid})\n`
        : `${nodeId} left the ring, but its process (pid ${pid}) still runs after ` +
            `${NODE_STOP_WAIT_MS / 1000} s: see the local cluster's output\n`,
    );
  }
  if (end) checkWatchEnd(end);
}

export async function listNodes(session: Session, flags: JsonFlag): Promise<void> {
  const client = await session.client();
  const nodes = await client.listStorageNodes();
  process.stdout.write(session.json(flags.json) ? `${toJson(nodes)}\n` : `${nodeTable(nodes)}\n`);
}

function describeStarted(started: StartedStorageNode): string {
  return (
    `started ${started.nodeId} (pid ${started.pid}) at ${started.grpcAddress}, health ` +
    `http://127.0.0.1:${started.httpPort}/readyz, log ${path.relative(process.cwd(), started.logFile)}\n` +
    `added ${started.nodeId} (${started.status}, ${started.virtualNodes} virtual nodes)\n` +
    migrationLine(started)
  );
}

function migrationLine(change: NodeChange): string {
  return change.migrationId === ''
    ? 'no data migration started (no tenant holds data yet, so the node joined at once)\n'
    : `migration ${change.migrationId} moves its share of the data to it\n` +
        followHint(change.migrationId);
}

function followHint(migrationId: string): string {
  return `follow it with \`pairdb migration status ${migrationId} --watch\`\n`;
}

/** The session's connection when it goes to `address`, else one of its own for this command. */
async function coordinatorClient(
  session: Session,
  address: string,
): Promise<{ client: PairDBClient; close: () => void }> {
  const settings = session.connectionSettings();
  if (settings.address === address) {
    // The session closes its own connection when the command ends.
    return { client: await session.client(), close: () => undefined };
  }
  const { PairDBClient: Client } = await import('@pairdb/client');
  const client = new Client({ address, timeoutMs: settings.timeoutMs });
  return { client, close: () => client.close() };
}

function nodeTable(nodes: readonly StorageNode[]): string {
  return renderTable(nodes, [
    { header: 'NODE', value: (n) => n.nodeId },
    { header: 'ADDRESS', value: (n) => `${n.host}:${n.port}` },
    { header: 'STATUS', value: (n) => n.status },
    { header: 'VNODES', value: (n) => String(n.virtualNodes), right: true },
  ]);
}
