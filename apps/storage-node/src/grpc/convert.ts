// Storage-protocol fields the node alone reads. Version sets, version vectors, dots and
// conflict policies convert in @pairdb/wire-contract, the same code the coordinator uses.
import type { storageV1 } from '@pairdb/proto';
import type { FencedRequest, MigrationFence } from '../fencing/node-fence';
import type { OwnedWrite } from '../fencing/node-layout';
import type { HintTarget } from '../hints/hint-store';
import { InvalidRequestError } from '../versions/validation';

export function hintTargetFromWire(
  target: storageV1.HintTarget | undefined,
): HintTarget | undefined {
  if (!target || (target.nodeId === '' && target.address === '')) return undefined;
  if (target.nodeId === '')
    throw new InvalidRequestError('hint_for.node_id', target.nodeId, 'is required');
  if (target.address === '')
    throw new InvalidRequestError('hint_for.address', target.address, 'is required');
  return { nodeId: target.nodeId, address: target.address };
}

/** A request's fence as the node reads it; NodeFence validates the migration id. */
export function migrationFenceFromWire(
  fence: storageV1.MigrationFence | undefined,
): MigrationFence | undefined {
  return fence && { migrationId: fence.migrationId, epoch: fence.epoch };
}

/** What the fence admits a data request by: its ring version and, on a repair, its driver. */
export function fencedRequestOf(
  operation: NonNullable<storageV1.ExchangeItem['operation']>,
): FencedRequest {
  if (operation.$case === 'repair') {
    return {
      ringVersion: operation.value.ringVersion,
      fence: migrationFenceFromWire(operation.value.fence),
    };
  }
  return { ringVersion: operation.value.ringVersion };
}

/**
 * What the ownership check reads from a data request, or nothing for one it does not judge: a
 * read; a write carrying `hint_for`, which this node keeps for another; a migration copy, whose
 * destination the driver chose under its fence (docs/architecture.md#fencing).
 */
export function ownedWriteOf(
  operation: NonNullable<storageV1.ExchangeItem['operation']>,
): OwnedWrite | undefined {
  if (operation.$case === 'read') return undefined;
  const r = operation.value;
  if (hintTargetFromWire(r.hintFor)) return undefined;
  if (operation.$case === 'repair' && operation.value.fence) return undefined;
  return { tenantId: r.tenantId, key: r.key, ringVersion: r.ringVersion };
}
