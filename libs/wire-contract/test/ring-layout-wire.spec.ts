import type { RingLayout } from '@pairdb/hashring';
import { storageV1 } from '@pairdb/proto';
import { InvalidFieldError, ringLayoutFromWire, ringLayoutToWire } from '../src';

const layout: RingLayout = {
  ringVersion: 12n,
  members: [
    { nodeId: 'n1', host: '127.0.0.1', port: 7001, virtualNodes: 150, state: 'active' },
    { nodeId: 'n2', host: 'db-2', port: 7002, virtualNodes: 8, state: 'draining' },
    { nodeId: 'n3', host: 'db-3', port: 7003, virtualNodes: 1, state: 'joining' },
  ],
  change: {
    migrationId: 'mig-1',
    type: 'replication_factor_change',
    nodeId: 'n1',
    tenantId: 'acme',
    fromReplicationFactor: 1,
    toReplicationFactor: 3,
    phase: 'data_copy',
  },
  replicationFactors: new Map([
    ['acme', 3],
    ['default', 2],
  ]),
};

function roundTrip(value: RingLayout): RingLayout {
  const bytes = storageV1.RingLayout.encode(ringLayoutToWire(value)).finish();
  return ringLayoutFromWire('layout', storageV1.RingLayout.decode(bytes), value.ringVersion);
}

function refusal(wire: storageV1.RingLayout): string {
  try {
    ringLayoutFromWire('layout', wire, 1n);
  } catch (error) {
    if (error instanceof InvalidFieldError) return error.message;
    throw error;
  }
  throw new Error('expected an InvalidFieldError');
}

describe('ring layouts on the storage wire', () => {
  it('round-trips members, a factor change and every tenant through the encoded message', () => {
    expect(roundTrip(layout)).toEqual(layout);
  });

  it('round-trips a layout where nothing moves, and a node change without a tenant', () => {
    expect(roundTrip({ ...layout, change: null })).toEqual({ ...layout, change: null });
    const addition = {
      ...layout.change!,
      type: 'node_addition' as const,
      nodeId: 'n3',
      tenantId: null,
      fromReplicationFactor: null,
      toReplicationFactor: null,
    };
    expect(roundTrip({ ...layout, change: addition }).change).toEqual(addition);
  });

  it('refuses a member listed twice, naming it', () => {
    const wire = ringLayoutToWire(layout);
    wire.members.push({ ...wire.members[0]! });
    expect(refusal(wire)).toBe('layout.members[3].node_id is listed twice (got "n1")');
  });

  it('refuses an unknown member state, a zero port and a bad tenant factor', () => {
    const wire = ringLayoutToWire(layout);
    expect(refusal({ ...wire, members: [{ ...wire.members[0]!, state: 0 }] })).toMatch(
      /^layout\.members\[0\]\.state is not a known member state \(got 0\)/,
    );
    expect(refusal({ ...wire, members: [{ ...wire.members[0]!, port: 0 }] })).toMatch(
      /^layout\.members\[0\]\.port/,
    );
    expect(refusal({ ...wire, tenants: [{ tenantId: 'acme', replicationFactor: 0 }] })).toMatch(
      /^layout\.tenants\[0\]\.replication_factor is not in 1\.\.255 \(got 0\)/,
    );
  });

  it('refuses a factor change without its tenant', () => {
    const wire = ringLayoutToWire(layout);
    expect(refusal({ ...wire, change: { ...wire.change!, tenantId: '' } })).toMatch(
      /^layout\.change\.tenant_id/,
    );
  });
});
