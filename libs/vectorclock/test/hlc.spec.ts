import fc from 'fast-check';
import {
  COUNTER_MAX,
  ClockExhaustedError,
  ClockReadingError,
  HybridLogicalClock,
  VersionArgumentError,
  hlcWallMs,
} from '../src';

/** A clock whose wall time the test sets. */
function manualClock(startMs: number): { clock: HybridLogicalClock; set(ms: number): void } {
  let wallMs = startMs;
  const clock = new HybridLogicalClock('coordinator-1', { now: () => wallMs });
  return { clock, set: (ms) => (wallMs = ms) };
}

const at = (wallMs: number, logical: number): bigint => (BigInt(wallMs) << 16n) | BigInt(logical);

describe('HybridLogicalClock', () => {
  it('encodes a fresh millisecond as wallMs << 16 with logical 0', () => {
    const { clock } = manualClock(1_700_000_000_000);
    expect(clock.next()).toBe(at(1_700_000_000_000, 0));
    expect(hlcWallMs(clock.current)).toBe(1_700_000_000_000);
  });

  it('a stalled clock counts logical ticks within the millisecond', () => {
    const { clock } = manualClock(5_000);
    expect([clock.next(), clock.next(), clock.next()]).toEqual([
      at(5_000, 0),
      at(5_000, 1),
      at(5_000, 2),
    ]);
  });

  it('a clock going backwards keeps counting above the last reading', () => {
    const { clock, set } = manualClock(5_000);
    const before = clock.next();
    set(4_000);
    expect(clock.next()).toBe(before + 1n);
    set(5_001);
    expect(clock.next()).toBe(at(5_001, 0));
  });

  it('more than 65,536 events in one millisecond borrow the next millisecond', () => {
    const { clock } = manualClock(5_000);
    let last = 0n;
    for (let event = 0; event <= 0xffff; event++) last = clock.next();
    expect(last).toBe(at(5_000, 0xffff));
    expect(clock.next()).toBe(at(5_001, 0));
  });

  it('observe of a future counter moves later readings past it', () => {
    const { clock } = manualClock(5_000);
    const future = at(9_000, 3);
    clock.observe(future);
    expect(clock.next()).toBe(future + 1n);
  });

  it('observe of a past counter changes nothing', () => {
    const { clock } = manualClock(5_000);
    clock.observe(at(1_000, 0));
    expect(clock.next()).toBe(at(5_000, 0));
  });

  it('observe rejects a counter outside int64', () => {
    const { clock } = manualClock(5_000);
    expect(() => clock.observe(COUNTER_MAX + 1n)).toThrow(VersionArgumentError);
  });

  it('refuses to pass 2^63-1 after observing the last counter', () => {
    const { clock } = manualClock(5_000);
    clock.observe(COUNTER_MAX);
    expect(() => clock.next()).toThrow(ClockExhaustedError);
  });

  it.each([NaN, -1, Infinity])('rejects a wall clock reading of %p', (reading) => {
    const clock = new HybridLogicalClock('a', { now: () => reading });
    expect(() => clock.next()).toThrow(ClockReadingError);
  });

  it('stamps dots with its actor', () => {
    const { clock } = manualClock(5_000);
    expect(clock.nextDot()).toEqual({ actor: 'coordinator-1', counter: at(5_000, 0) });
  });

  it('uses Date.now by default', () => {
    const before = Date.now();
    const reading = new HybridLogicalClock('a').next();
    expect(hlcWallMs(reading)).toBeGreaterThanOrEqual(before);
    expect(hlcWallMs(reading)).toBeLessThanOrEqual(Date.now());
  });

  it('is strictly increasing under any wall clock and observed counters', () => {
    const step = fc.oneof(
      fc.record({ wallMs: fc.integer({ min: 0, max: 2_000 }) }),
      fc.record({ observe: fc.bigInt(1n, at(2_000, 0xffff)) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const { clock, set } = manualClock(1_000);
        let last = 0n;
        for (const item of steps) {
          if ('observe' in item) {
            clock.observe(item.observe);
            const reading = clock.next();
            expect(reading > item.observe && reading > last).toBe(true);
            last = reading;
          } else {
            set(item.wallMs);
            const reading = clock.next();
            expect(reading > last && reading >= at(item.wallMs, 0)).toBe(true);
            last = reading;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
