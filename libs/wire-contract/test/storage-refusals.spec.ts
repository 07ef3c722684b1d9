import { status } from '@grpc/grpc-js';
import {
  isNotAnOwnerRefusal,
  isStaleRingVersionRefusal,
  NOT_AN_OWNER_MESSAGE_PREFIX,
  STALE_MIGRATION_EPOCH_CODE,
  STALE_RING_VERSION_CODE,
} from '../src';

describe('storage-node fencing refusals on the wire', () => {
  it('a stale ring version is ABORTED (code 10) and a stale driver epoch FAILED_PRECONDITION (9)', () => {
    expect(STALE_RING_VERSION_CODE).toBe(10);
    expect(STALE_MIGRATION_EPOCH_CODE).toBe(9);
  });

  it('only ABORTED classifies as a stale ring version', () => {
    expect(isStaleRingVersionRefusal(10)).toBe(true);
    for (const code of Object.values(status).filter((v): v is number => typeof v === 'number')) {
      if (code !== 10) expect(isStaleRingVersionRefusal(code)).toBe(false);
    }
    expect(isStaleRingVersionRefusal(undefined)).toBe(false);
  });
});

describe('the not-an-owner refusal', () => {
  it('is FAILED_PRECONDITION (9) with its prefix, and a stale epoch is not one', () => {
    expect(isNotAnOwnerRefusal(9, `${NOT_AN_OWNER_MESSAGE_PREFIX}node n1 ...`)).toBe(true);
    expect(isNotAnOwnerRefusal(9, 'migration "m": driver epoch 1 is below epoch 2')).toBe(false);
    expect(isNotAnOwnerRefusal(10, `${NOT_AN_OWNER_MESSAGE_PREFIX}node n1`)).toBe(false);
    expect(isNotAnOwnerRefusal(9, undefined)).toBe(false);
  });
});
