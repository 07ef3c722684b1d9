// A dot names one write event: `actor:counter`. Actors are coordinator node ids; counters are
// readings of that coordinator's hybrid logical clock (hlc.ts), unique per actor.
//
// LWW total order: dots compare by counter first, then by actor (UTF-16 code unit order, the
// same on every replica since all of them run this code). HLC counters are wall-clock based,
// so the greatest (counter, actor) is the latest write, with ties broken the same way everywhere.

import { VersionArgumentError } from './errors';

/** Counters travel as protobuf int64, so the largest one is 2^63 - 1. */
export const COUNTER_MAX = (1n << 63n) - 1n;

/** 0 means "no event seen" and is never stored; the first real event is 1. */
export const COUNTER_MIN = 1n;

/** Node ids are short names; the cap bounds every actor stored beside every key. */
export const ACTOR_BYTES_MAX = 255;

export interface Dot {
  readonly actor: string;
  readonly counter: bigint;
}

export function makeDot(actor: string, counter: bigint): Dot {
  assertActor(actor);
  assertCounter(counter);
  return { actor, counter };
}

/** Negative, zero or positive as `a` is below, equal to or above `b` in LWW order. */
export function compareDots(a: Dot, b: Dot): number {
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return compareActors(a.actor, b.actor);
}

export function dotsEqual(a: Dot, b: Dot): boolean {
  return a.counter === b.counter && a.actor === b.actor;
}

export function compareActors(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function assertActor(actor: string): void {
  if (typeof actor !== 'string' || actor.length === 0) {
    throw new VersionArgumentError('actor must be a non-empty string');
  }
  const bytes = utf8ByteLength(actor);
  if (bytes < 0) throw new VersionArgumentError('actor contains a lone UTF-16 surrogate');
  if (bytes > ACTOR_BYTES_MAX) {
    throw new VersionArgumentError(`actor is ${bytes} bytes, above ${ACTOR_BYTES_MAX}`);
  }
}

export function assertCounter(counter: bigint): void {
  if (typeof counter !== 'bigint' || counter < COUNTER_MIN || counter > COUNTER_MAX) {
    throw new VersionArgumentError(`counter ${String(counter)} outside ${COUNTER_MIN}..2^63-1`);
  }
}

/** UTF-8 length of a string, or -1 if it holds a lone surrogate (it could not round trip). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = text.charCodeAt(index + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return -1;
      bytes += 4;
      index++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return -1;
    else bytes += 3;
  }
  return bytes;
}
