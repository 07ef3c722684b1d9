// Pacing of anti-entropy (docs/architecture.md#anti-entropy): after each range a lane rests so
// that its work takes at most `dutyCycle` of its wall time. A range that took `workMs` is followed
// by a rest of workMs * (1 - dutyCycle) / dutyCycle, so the cost follows what the range really
// cost (a converged range is cheap and rests little; a range that scanned and repaired rests
// long) and needs no estimate of the cluster's capacity. With `ranges_in_flight` lanes, at most
// that many ranges are compared at once and, on average, ranges_in_flight * dutyCycle.

/** Smallest duty cycle: below it a pass of a small cluster would take hours. */
export const DUTY_CYCLE_MIN = 0.01;
/** 1: no rest at all, ranges back to back. */
export const DUTY_CYCLE_MAX = 1;

/** A clock the pass reads and sleeps on; tests give a fake one. */
export interface PassClock {
  /** Monotonic milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: PassClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How long to rest after `workMs` of work so that work is `dutyCycle` of the time. */
export function restAfterMs(workMs: number, dutyCycle: number): number {
  if (!(dutyCycle >= DUTY_CYCLE_MIN && dutyCycle <= DUTY_CYCLE_MAX)) {
    throw new RangeError(`duty cycle ${dutyCycle} is outside ${DUTY_CYCLE_MIN}..${DUTY_CYCLE_MAX}`);
  }
  return Math.max(0, workMs) * ((1 - dutyCycle) / dutyCycle);
}
