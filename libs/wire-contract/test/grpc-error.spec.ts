import { Metadata, status } from '@grpc/grpc-js';
import { googleRpc } from '@pairdb/proto';
import {
  buildGrpcError,
  packQuorumFailure,
  STATUS_DETAILS_KEY,
  statusDetailsOf,
  unpackQuorumFailure,
} from '../src';

const failure = {
  operation: 'write',
  achieved: 1,
  required: 3,
  replicas: [
    { nodeId: 'node-2', code: 'UNAVAILABLE', message: 'connection refused' },
    { nodeId: 'node-3', code: 'RESOURCE_EXHAUSTED', message: 'disk guard tripped' },
  ],
};

describe('buildGrpcError', () => {
  it('sends code and message, and a google.rpc.Status even with no details', () => {
    const error = buildGrpcError(status.NOT_FOUND, new Error('key "k" not found'));
    expect(error).toMatchObject({ code: status.NOT_FOUND, details: 'key "k" not found' });
    expect(statusDetailsOf(error.metadata!)).toEqual({
      code: 5,
      message: 'key "k" not found',
      details: [],
    });
  });

  it('puts a google.rpc.Status with the packed details in grpc-status-details-bin', () => {
    const error = buildGrpcError(status.UNAVAILABLE, new Error('write quorum not reached'), [
      packQuorumFailure(failure),
    ]);
    const [bytes] = error.metadata!.get(STATUS_DETAILS_KEY);
    const decoded = googleRpc.Status.decode(bytes as Buffer);
    expect(decoded.code).toBe(14);
    expect(decoded.message).toBe('write quorum not reached');
    expect(decoded.details.map((d) => d.typeUrl)).toEqual([
      'type.googleapis.com/pairdb.coordinator.v1.QuorumFailure',
    ]);
    expect(unpackQuorumFailure(decoded)).toEqual(failure);
  });
});

describe('statusDetailsOf', () => {
  it('reads the status a call carried, and nothing from a call without one', () => {
    const error = buildGrpcError(status.UNAVAILABLE, 'quorum', [packQuorumFailure(failure)]);
    expect(unpackQuorumFailure(statusDetailsOf(error.metadata!))).toEqual(failure);
    expect(statusDetailsOf(new Metadata())).toBeUndefined();
    expect(unpackQuorumFailure(statusDetailsOf(undefined))).toBeUndefined();
  });

  it('ignores a details trailer that does not decode', () => {
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from([0xff, 0xff, 0xff]));
    expect(statusDetailsOf(metadata)).toBeUndefined();
  });
});
