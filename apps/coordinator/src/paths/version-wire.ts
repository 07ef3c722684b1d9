// Storage-protocol version sets to and from the vectorclock domain types.
import type { storageV1 } from '@pairdb/proto';
import {
  makeVersionSet,
  readContext,
  VersionVector,
  type Sibling,
  type VersionSet,
} from '@pairdb/vectorclock';

export function versionSetFromWire(set: storageV1.VersionSet): VersionSet {
  const siblings: Sibling[] = set.siblings.map((s) => {
    const dot = { actor: s.dot?.actor ?? '', counter: s.dot?.counter ?? 0n };
    return s.tombstone ? { dot, tombstone: true } : { dot, value: s.value };
  });
  return makeVersionSet(
    VersionVector.from(set.context.map((e) => [e.actor, e.counter] as const)),
    siblings,
  );
}

export function versionSetToWire(set: VersionSet): storageV1.VersionSet {
  return {
    context: set.context.entries().map(([actor, counter]) => ({ actor, counter })),
    siblings: set.siblings.map((s) => ({
      dot: { actor: s.dot.actor, counter: s.dot.counter },
      value: s.tombstone
        ? Buffer.alloc(0)
        : Buffer.from(s.value.buffer, s.value.byteOffset, s.value.byteLength),
      tombstone: s.tombstone === true,
    })),
  };
}

/**
 * The read context a replica reports after a write or delete: its `clock`, or, from a node that
 * predates reply_clock_only and sends its whole version set, that set's read context.
 */
export function replicaClockFromWire(
  reply: storageV1.WriteResponse | storageV1.DeleteResponse,
): VersionVector {
  if (reply.versions) return readContext(versionSetFromWire(reply.versions));
  return VersionVector.from(reply.clock.map((e) => [e.actor, e.counter] as const));
}
