// Seeds for randomized tests: PAIRDB_TEST_SEED replays a run, otherwise a fresh seed is drawn and
// printed, so the log of a failed run says how to replay it. Every random choice of a test (what
// to write, when to kill) comes from a SeededRandom derived from that one seed; what cannot be
// replayed is the operating system's scheduling around those choices.
import { randomInt } from 'node:crypto';

/** The environment variable that replays a randomized test with the seed it holds. */
export const TEST_SEED_ENV = 'PAIRDB_TEST_SEED';
/** Seeds are unsigned 32-bit integers: the state of SeededRandom. */
const SEED_LIMIT = 2 ** 32;

/** The seed for `testName`, from PAIRDB_TEST_SEED or freshly drawn; printed either way. */
export function testSeed(testName: string): number {
  const given = process.env[TEST_SEED_ENV];
  const seed = given === undefined || given === '' ? randomInt(SEED_LIMIT) : parseSeed(given);
  console.log(`${testName}: seed ${seed} (replay with ${TEST_SEED_ENV}=${seed})`);
  return seed;
}

export function parseSeed(text: string): number {
  const seed = Number(text);
  // fast-check prints its seeds as signed 32-bit integers: the same seed, taken as unsigned.
  if (!/^-?\d+$/.test(text.trim()) || seed >= SEED_LIMIT || seed < -(SEED_LIMIT / 2)) {
    throw new Error(
      `${TEST_SEED_ENV} must be an integer from ${-(SEED_LIMIT / 2)} to ${SEED_LIMIT - 1} (got ${JSON.stringify(text)})`,
    );
  }
  return seed >>> 0;
}

/**
 * A small deterministic generator (a 32-bit Weyl sequence through an integer mixer): the same
 * seed gives the same numbers on every machine. Not for anything but tests.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix(this.state) / SEED_LIMIT;
  }

  /** An integer in [0, limit). */
  below(limit: number): number {
    return Math.floor(this.next() * limit);
  }

  /**
   * The seed of an independent stream for `label` (a round, a writer, a child process): streams
   * stay the same whatever order their owners draw in.
   */
  derive(label: number): number {
    return mix((this.seed ^ mix(label + 1)) >>> 0);
  }
}

/** Scrambles 32 bits so neighbouring inputs give unrelated outputs. */
function mix(value: number): number {
  let x = value >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
