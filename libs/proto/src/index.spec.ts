import * as protoLoader from '@grpc/proto-loader';
import { coordinatorV1, readDescriptorSet, storageV1 } from './index';

describe('generated protocol', () => {
  it('keeps int64 clock counters exact above 2^53', () => {
    const counter = 2n ** 60n + 1n;
    const bytes = coordinatorV1.VectorClockEntry.encode({
      coordinatorNodeId: 'coord-a',
      logicalTimestamp: counter,
    }).finish();
    const decoded = coordinatorV1.VectorClockEntry.decode(bytes);
    expect(decoded.logicalTimestamp).toBe(counter);
    expect(decoded.coordinatorNodeId).toBe('coord-a');
  });

  it('keeps uint64 ring tokens exact at the top of the range', () => {
    const token = 2n ** 64n - 1n;
    const bytes = storageV1.TokenRange.encode({ start: token, end: 5n }).finish();
    expect(storageV1.TokenRange.decode(bytes)).toEqual({ start: token, end: 5n });
  });

  it('round-trips a batched exchange item with its oneof operation', () => {
    const item: storageV1.ExchangeItem = {
      id: 7,
      timeoutMs: 250,
      operation: {
        $case: 'read',
        value: { tenantId: 't1', key: 'k1', ringVersion: 0n },
      },
    };
    const decoded = storageV1.ExchangeItem.decode(storageV1.ExchangeItem.encode(item).finish());
    expect(decoded).toEqual(item);
  });

  it('fixes the public field numbers of WriteKeyValueRequest', () => {
    // Field 6 (context) tagged as a length-delimited field: (6 << 3) | 2 = 0x32.
    const bytes = coordinatorV1.WriteKeyValueRequest.encode({
      ...coordinatorV1.WriteKeyValueRequest.fromPartial({}),
      context: { entries: [] },
    }).finish();
    expect(Array.from(bytes)).toEqual([0x32, 0x00]);
  });

  it('ships a descriptor set that describes both services for reflection', () => {
    const definition = protoLoader.loadFileDescriptorSetFromBuffer(readDescriptorSet());
    expect(Object.keys(definition)).toEqual(
      expect.arrayContaining([
        'pairdb.coordinator.v1.CoordinatorService',
        'pairdb.storage.v1.StorageService',
      ]),
    );
  });
});
