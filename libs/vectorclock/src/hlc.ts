// Hybrid logical clock: the source of each coordinator's dot counters
// (docs/architecture.md#data-model).
//
// A reading is one unsigned integer `(wallMs << 16) | logical`:
// - the high bits are wall-clock milliseconds, so counters from different coordinators are
//   roughly comparable (LWW picks the latest write) and a restarted coordinator continues above
//   its earlier counters without reading any key first;
// - the low 16 bits count events within one millisecond (65,536 per ms; beyond that the reading
//   borrows the next millisecond, running slightly ahead of the wall clock);
// - as one integer it fits the wire's int64 counter and compares with plain `<`. 2^63 >> 16 ms
//   is about year 6400, so wall time never overflows it.
//
// next() returns max(wallMs << 16, last + 1): strictly increasing per instance even when the
// wall clock stalls or steps backwards (it then counts logical ticks on top of the last reading
// until wall time catches up). observe(counter) moves the clock past a counter seen elsewhere,
// which keeps a coordinator whose clock was set back from issuing dots below ones it issued
// before a restart.

import { assertActor, assertCounter, COUNTER_MAX, makeDot, type Dot } from './dot';

/** Low bits of a reading that count events within one millisecond. */
export const HLC_LOGICAL_BITS = 16n;

export interface HybridLogicalClockOptions {
  /** Wall clock in milliseconds since the Unix epoch. Default: Date.now. */
  readonly now?: () => number;
}

/** The clock would pass 2^63 - 1 (only after observing a counter near the end of time). */
export class ClockExhaustedError extends Error {
  override readonly name = 'ClockExhaustedError';
}

/** The wall clock function returned something that is not a non-negative finite number. */
export class ClockReadingError extends Error {
  override readonly name = 'ClockReadingError';
}

export class HybridLogicalClock {
  private last = 0n;
  private readonly now: () => number;

  constructor(
    readonly actor: string,
    options: HybridLogicalClockOptions = {},
  ) {
    assertActor(actor);
    this.now = options.now ?? Date.now;
  }

  /** The last reading issued or observed; 0n before the first. */
  get current(): bigint {
    return this.last;
  }

  /** A reading greater than every earlier reading and every observed counter. */
  next(): bigint {
    const wall = this.wallReading();
    const reading = wall > this.last ? wall : this.last + 1n;
    if (reading > COUNTER_MAX) {
      throw new ClockExhaustedError(`clock of ${this.actor} would pass 2^63-1`);
    }
    this.last = reading;
    return reading;
  }

  /** A fresh dot for this actor. */
  nextDot(): Dot {
    return makeDot(this.actor, this.next());
  }

  /** Moves the clock so that later readings exceed `counter`. */
  observe(counter: bigint): void {
    assertCounter(counter);
    if (counter > this.last) this.last = counter;
  }

  private wallReading(): bigint {
    const wallMs = this.now();
    if (!Number.isFinite(wallMs) || wallMs < 0) {
      throw new ClockReadingError(`wall clock returned ${wallMs}`);
    }
    return BigInt(Math.floor(wallMs)) << HLC_LOGICAL_BITS;
  }
}

/** The wall-clock millisecond part of a reading (for logs and tombstone age). */
export function hlcWallMs(reading: bigint): number {
  return Number(reading >> HLC_LOGICAL_BITS);
}
