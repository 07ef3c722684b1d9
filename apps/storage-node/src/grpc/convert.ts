// Storage-protocol fields the node alone reads. Version sets, version vectors, dots and
// conflict policies convert in @pairdb/wire-contract, the same code the coordinator uses.
import type { storageV1 } from '@pairdb/proto';
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
