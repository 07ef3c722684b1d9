import { status } from '@grpc/grpc-js';
import {
  isStaleRingVersionRefusal,
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
