// Version vectors, dots and version sets (DVVSets) to and from the storage protocol
// (storage.proto's VersionVectorEntry, Dot and VersionSet). Decoding checks what it builds: a
// missing dot, an empty actor, a counter out of range, a repeated actor or sibling is an
// InvalidFieldError naming the field and the value, never filled in with a default.
import type { storageV1 } from '@pairdb/proto';
import {
  makeDot,
  makeVersionSet,
  VersionArgumentError,
  VersionVector,
  type Dot,
  type Sibling,
  type VersionSet,
} from '@pairdb/vectorclock';
import { InvalidFieldError } from './invalid-field-error';

/** `describe` runs only on failure: building the text on every message would cost more. */
function checked<T>(field: string, describe: () => unknown, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof VersionArgumentError)
      throw new InvalidFieldError(field, describe(), error.message);
    throw error;
  }
}

export function versionVectorToWire(vector: VersionVector): storageV1.VersionVectorEntry[] {
  return vector.entries().map(([actor, counter]) => ({ actor, counter }));
}

export function versionVectorFromWire(
  field: string,
  entries: readonly storageV1.VersionVectorEntry[],
): VersionVector {
  return checked(
    field,
    () => entries.map((e) => `${e.actor}:${e.counter}`).join(','),
    () => VersionVector.from(entries.map((e) => [e.actor, e.counter] as const)),
  );
}

export function dotToWire(dot: Dot): storageV1.Dot {
  return { actor: dot.actor, counter: dot.counter };
}

export function dotFromWire(field: string, dot: storageV1.Dot | undefined): Dot {
  if (!dot) throw new InvalidFieldError(field, dot, 'is required');
  return checked(
    field,
    () => `${dot.actor}:${dot.counter}`,
    () => makeDot(dot.actor, dot.counter),
  );
}

export function versionSetToWire(set: VersionSet): storageV1.VersionSet {
  return {
    context: versionVectorToWire(set.context),
    siblings: set.siblings.map((s) => ({
      dot: dotToWire(s.dot),
      value: s.tombstone
        ? Buffer.alloc(0)
        : Buffer.from(s.value.buffer, s.value.byteOffset, s.value.byteLength),
      tombstone: s.tombstone === true,
    })),
  };
}

export function versionSetFromWire(
  field: string,
  set: storageV1.VersionSet | undefined,
): VersionSet {
  if (!set) throw new InvalidFieldError(field, set, 'is required');
  const siblings: Sibling[] = set.siblings.map((s, i) => {
    const dot = dotFromWire(`${field}.siblings[${i}].dot`, s.dot);
    return s.tombstone ? { dot, tombstone: true } : { dot, value: s.value };
  });
  const context = versionVectorFromWire(`${field}.context`, set.context);
  return checked(
    field,
    () => set.siblings.map((s) => `${s.dot?.actor}:${s.dot?.counter}`).join(','),
    () => makeVersionSet(context, siblings),
  );
}
