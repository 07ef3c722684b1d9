// A storage node's "not an owner" refusal is read as fenced (reload the ring, retry once), and
// a stale driver epoch, which shares its code, is not.
import { status } from '@grpc/grpc-js';
import { NOT_AN_OWNER_MESSAGE_PREFIX } from '@pairdb/wire-contract';
import { QuorumError } from '../../src/errors';
import { retryOnceIfFenced } from '../../src/paths/fenced-retry';
import { failureFromStatus } from '../../src/replicas/storage-replies';

describe('the not-an-owner refusal at the coordinator', () => {
  it('classifies as fenced, and a stale epoch as refused', () => {
    const notOwner = failureFromStatus(
      'n1',
      status.FAILED_PRECONDITION,
      `${NOT_AN_OWNER_MESSAGE_PREFIX}node n1 is not a replica of tenant t key k at ring version 4`,
    );
    const staleEpoch = failureFromStatus(
      'n1',
      status.FAILED_PRECONDITION,
      'migration "m": driver epoch 1 is below epoch 2 recorded on this node',
    );
    expect([notOwner.kind, staleEpoch.kind]).toEqual(['fenced', 'refused']);
  });

  it('makes a write reload the ring and try once more', async () => {
    const refusal = failureFromStatus(
      'n1',
      status.FAILED_PRECONDITION,
      `${NOT_AN_OWNER_MESSAGE_PREFIX}node n1 ...`,
    );
    let attempts = 0;
    let reloads = 0;
    const answer = await retryOnceIfFenced(
      async () => {
        if (attempts++ === 0) throw new QuorumError('write', 1, 2, [refusal]);
        return 'written';
      },
      async () => void reloads++,
    );
    expect([answer, attempts, reloads]).toEqual(['written', 2, 1]);
  });
});
