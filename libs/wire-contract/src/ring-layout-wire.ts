// A ring version's layout (@pairdb/hashring RingLayout) to and from storage.proto's RingLayout,
// which the migration driver sends with every fence raise (docs/architecture.md#fencing). The
// node checks everything it reads: a layout it misread would refuse writes it must take.
// Types only from @pairdb/hashring: this library is loaded by the client too (the CLI's `get`),
// which must not load ring code (apps/cli/test/e2e/lazy-loading.spec.ts).
import type {
  LayoutChange,
  LayoutChangeType,
  LayoutMember,
  MemberState,
  RingLayout,
} from '@pairdb/hashring';
import { storageV1 } from '@pairdb/proto';
import { InvalidFieldError } from './invalid-field-error';
import { TENANT_ID_LENGTH_MAX, TENANT_ID_PATTERN } from './tenant-id';

/** Highest replication factor a layout may carry: far above any tenant's, and one byte on disk. */
export const LAYOUT_REPLICATION_FACTOR_MAX = 255;
const PORT_MAX = 65_535;
/**
 * A member's virtual nodes as the wire and the layout file (a u16) carry them; the ring's own,
 * lower bound is checked when the node builds the placement (InvalidVirtualNodeCountError).
 */
export const LAYOUT_VIRTUAL_NODES_MAX = 65_535;

const STATE_TO_WIRE: Record<MemberState, storageV1.MemberState> = {
  joining: storageV1.MemberState.MEMBER_STATE_JOINING,
  active: storageV1.MemberState.MEMBER_STATE_ACTIVE,
  draining: storageV1.MemberState.MEMBER_STATE_DRAINING,
  inactive: storageV1.MemberState.MEMBER_STATE_INACTIVE,
};

const CHANGE_TO_WIRE: Record<LayoutChangeType, storageV1.ChangeType> = {
  node_addition: storageV1.ChangeType.CHANGE_TYPE_NODE_ADDITION,
  node_deletion: storageV1.ChangeType.CHANGE_TYPE_NODE_DELETION,
  replication_factor_change: storageV1.ChangeType.CHANGE_TYPE_REPLICATION_FACTOR_CHANGE,
};

export function ringLayoutToWire(layout: RingLayout): storageV1.RingLayout {
  const change = layout.change;
  return {
    members: layout.members.map((member) => ({
      nodeId: member.nodeId,
      host: member.host,
      port: member.port,
      virtualNodes: member.virtualNodes,
      state: STATE_TO_WIRE[member.state],
    })),
    change: change
      ? {
          migrationId: change.migrationId,
          type: CHANGE_TO_WIRE[change.type],
          nodeId: change.nodeId,
          tenantId: change.tenantId ?? '',
          fromReplicationFactor: change.fromReplicationFactor ?? 0,
          toReplicationFactor: change.toReplicationFactor ?? 0,
          phase: change.phase,
        }
      : undefined,
    tenants: [...layout.replicationFactors].map(([tenantId, replicationFactor]) => ({
      tenantId,
      replicationFactor,
    })),
  };
}

/** The layout of `ringVersion`; a field that breaks a rule is an InvalidFieldError naming it. */
export function ringLayoutFromWire(
  field: string,
  wire: storageV1.RingLayout,
  ringVersion: bigint,
): RingLayout {
  const seen = new Set<string>();
  const members = wire.members.map((member, index) => {
    const parsed = memberFromWire(`${field}.members[${index}]`, member);
    if (seen.has(parsed.nodeId)) {
      throw new InvalidFieldError(
        `${field}.members[${index}].node_id`,
        parsed.nodeId,
        'is listed twice',
      );
    }
    seen.add(parsed.nodeId);
    return parsed;
  });
  const replicationFactors = new Map<string, number>();
  wire.tenants.forEach((tenant, index) => {
    const at = `${field}.tenants[${index}]`;
    checkTenantId(`${at}.tenant_id`, tenant.tenantId);
    if (replicationFactors.has(tenant.tenantId)) {
      throw new InvalidFieldError(`${at}.tenant_id`, tenant.tenantId, 'is listed twice');
    }
    checkFactor(`${at}.replication_factor`, tenant.replicationFactor);
    replicationFactors.set(tenant.tenantId, tenant.replicationFactor);
  });
  return {
    ringVersion,
    members,
    change: wire.change ? changeFromWire(`${field}.change`, wire.change) : null,
    replicationFactors,
  };
}

function memberFromWire(field: string, wire: storageV1.RingMember): LayoutMember {
  if (wire.nodeId === '')
    throw new InvalidFieldError(`${field}.node_id`, wire.nodeId, 'is required');
  if (wire.host === '') throw new InvalidFieldError(`${field}.host`, wire.host, 'is required');
  if (!Number.isInteger(wire.port) || wire.port < 1 || wire.port > PORT_MAX) {
    throw new InvalidFieldError(`${field}.port`, wire.port, `is not in 1..${PORT_MAX}`);
  }
  if (
    !Number.isInteger(wire.virtualNodes) ||
    wire.virtualNodes < 1 ||
    wire.virtualNodes > LAYOUT_VIRTUAL_NODES_MAX
  ) {
    throw new InvalidFieldError(
      `${field}.virtual_nodes`,
      wire.virtualNodes,
      `is not in 1..${LAYOUT_VIRTUAL_NODES_MAX}`,
    );
  }
  return {
    nodeId: wire.nodeId,
    host: wire.host,
    port: wire.port,
    virtualNodes: wire.virtualNodes,
    state: stateFromWire(`${field}.state`, wire.state),
  };
}

function stateFromWire(field: string, state: storageV1.MemberState): MemberState {
  for (const [name, value] of Object.entries(STATE_TO_WIRE)) {
    if (value === state) return name as MemberState;
  }
  throw new InvalidFieldError(field, state, 'is not a known member state');
}

function changeFromWire(field: string, wire: storageV1.RingChange): LayoutChange {
  const type = (Object.keys(CHANGE_TO_WIRE) as LayoutChangeType[]).find(
    (name) => CHANGE_TO_WIRE[name] === wire.type,
  );
  if (!type) throw new InvalidFieldError(`${field}.type`, wire.type, 'is not a known change type');
  if (wire.migrationId === '') {
    throw new InvalidFieldError(`${field}.migration_id`, wire.migrationId, 'is required');
  }
  const factorChange = type === 'replication_factor_change';
  if (!factorChange && wire.nodeId === '') {
    throw new InvalidFieldError(`${field}.node_id`, wire.nodeId, 'is required for a node change');
  }
  if (factorChange) {
    checkTenantId(`${field}.tenant_id`, wire.tenantId);
    checkFactor(`${field}.from_replication_factor`, wire.fromReplicationFactor);
    checkFactor(`${field}.to_replication_factor`, wire.toReplicationFactor);
  }
  return {
    migrationId: wire.migrationId,
    type,
    nodeId: wire.nodeId,
    tenantId: factorChange ? wire.tenantId : null,
    fromReplicationFactor: factorChange ? wire.fromReplicationFactor : null,
    toReplicationFactor: factorChange ? wire.toReplicationFactor : null,
    phase: wire.phase,
  };
}

function checkTenantId(field: string, tenantId: string): void {
  if (tenantId === '' || !TENANT_ID_PATTERN.test(tenantId)) {
    throw new InvalidFieldError(
      field,
      tenantId,
      `must be 1-${TENANT_ID_LENGTH_MAX} letters, digits, "_", "-" or "."`,
    );
  }
}

function checkFactor(field: string, factor: number): void {
  if (!Number.isInteger(factor) || factor < 1 || factor > LAYOUT_REPLICATION_FACTOR_MAX) {
    throw new InvalidFieldError(field, factor, `is not in 1..${LAYOUT_REPLICATION_FACTOR_MAX}`);
  }
}
