// Wire <-> domain conversions for the storage protocol. Malformed versions from the wire are
// InvalidRequestErrors naming the field, never silently repaired.
import { storageV1 } from '@pairdb/proto';
import {
  makeDot,
  makeVersionSet,
  VersionArgumentError,
  VersionVector,
  type Dot,
  type Sibling,
  type VersionSet,
  type WriteContent,
} from '@pairdb/vectorclock';
import type { HintTarget } from '../hints/hint-store';
import { InvalidRequestError } from '../versions/validation';
import type { ConflictPolicy } from '../versions/version-store';

/** `describe` runs only on failure: building the text on every request cost more than the check. */
function guard<T>(field: string, describe: () => unknown, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof VersionArgumentError)
      throw new InvalidRequestError(field, describe(), error.message);
    throw error;
  }
}

export function contextFromWire(
  field: string,
  entries: readonly storageV1.VersionVectorEntry[],
): VersionVector {
  const describe = () => entries.map((e) => `${e.actor}:${e.counter}`).join(',');
  return guard(field, describe, () =>
    VersionVector.from(entries.map((e) => [e.actor, e.counter] as const)),
  );
}

export function contextToWire(vector: VersionVector): storageV1.VersionVectorEntry[] {
  return vector.entries().map(([actor, counter]) => ({ actor, counter }));
}

export function dotFromWire(field: string, dot: storageV1.Dot | undefined): Dot {
  if (!dot) throw new InvalidRequestError(field, dot, 'is required');
  return guard(
    field,
    () => `${dot.actor}:${dot.counter}`,
    () => makeDot(dot.actor, dot.counter),
  );
}

export function versionSetFromWire(
  field: string,
  set: storageV1.VersionSet | undefined,
): VersionSet {
  if (!set) throw new InvalidRequestError(field, set, 'is required');
  const siblings: Sibling[] = set.siblings.map((s, i) => {
    const dot = dotFromWire(`${field}.siblings[${i}].dot`, s.dot);
    return s.tombstone ? { dot, tombstone: true } : { dot, value: s.value };
  });
  return makeVersionSet(contextFromWire(`${field}.context`, set.context), siblings);
}

export function versionSetToWire(set: VersionSet): storageV1.VersionSet {
  return {
    context: contextToWire(set.context),
    siblings: set.siblings.map((s) => ({
      dot: { actor: s.dot.actor, counter: s.dot.counter },
      value: s.tombstone
        ? Buffer.alloc(0)
        : Buffer.from(s.value.buffer, s.value.byteOffset, s.value.byteLength),
      tombstone: s.tombstone === true,
    })),
  };
}

export function policyFromWire(policy: storageV1.ConflictPolicy): ConflictPolicy {
  switch (policy) {
    case storageV1.ConflictPolicy.CONFLICT_POLICY_SIBLINGS:
      return 'siblings';
    case storageV1.ConflictPolicy.CONFLICT_POLICY_LWW:
    case storageV1.ConflictPolicy.CONFLICT_POLICY_UNSPECIFIED:
      return 'lww';
    default:
      throw new InvalidRequestError('conflict_policy', policy, 'is not a known policy');
  }
}

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

export function writeContent(value: Uint8Array | undefined): WriteContent {
  return value === undefined ? { tombstone: true } : { value };
}
