// pairdb status (commands/status-command.ts defines its options).
import {
  PairDBError,
  probeStorageNode,
  type Migration,
  type PairDBClient,
  type RepairStatus,
} from '@pairdb/client';
import { isFinished } from '../migration/migration-text';
import { toJson } from '../output/json-output';
import type { Session } from '../session';
import { gatherStatus } from '../status/cluster-status';
import { renderStatus } from '../status/status-text';

interface StatusFlags {
  replicationFactor: number;
  tenant?: string;
  json?: boolean;
}

/**
 * A migration is admitted only when none is unfinished, so an unfinished one is the newest:
 * looking at the newest is enough.
 */
const MIGRATIONS_SCANNED = 1;

export async function showStatus(session: Session, flags: StatusFlags): Promise<void> {
  const client = await session.client();
  const result = await gatherStatus(
    await client.listStorageNodes({ includeHealth: true }),
    await replicationFactorOf(client, flags),
    // Only for nodes a coordinator older than includeHealth lists without health.
    (nodeAddress) => probeStorageNode(nodeAddress),
  );
  const running = await runningMigrations(client);
  const repairs = await repairStatus(client);
  const address = client.address;
  process.stdout.write(
    session.json(flags.json)
      ? `${toJson({ coordinator: address, ...result, runningMigrations: running, repairs })}\n`
      : renderStatus(address, result, running, repairs && { status: repairs, nowMs: Date.now() }),
  );
}

/** Each node's last anti-entropy repair; undefined from a coordinator older than repairs. */
async function repairStatus(client: PairDBClient): Promise<RepairStatus | undefined> {
  try {
    return await client.getRepairStatus();
  } catch (error) {
    if (error instanceof PairDBError && error.code === 'UNIMPLEMENTED') return undefined;
    throw error;
  }
}

/** Newest first: the unfinished migration, if any. */
async function runningMigrations(client: PairDBClient): Promise<Migration[]> {
  const recent = await client.listMigrations(MIGRATIONS_SCANNED);
  return recent.filter((migration) => !isFinished(migration));
}

async function replicationFactorOf(client: PairDBClient, flags: StatusFlags): Promise<number> {
  if (flags.tenant !== undefined) return (await client.getTenant(flags.tenant)).replicationFactor;
  return flags.replicationFactor;
}
