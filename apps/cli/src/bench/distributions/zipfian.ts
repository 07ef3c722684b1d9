// Zipfian draws over the integers [min, max]: item i (0-based from min) is chosen with
// probability proportional to 1 / (i + 1)^theta. The method is Gray et al., "Quickly
// Generating Billion-Record Synthetic Databases" (SIGMOD 1994), as YCSB uses it, with
// theta = 0.99 (YCSB's "zipfian constant"):
//
//   zeta(n) = sum over i = 1..n of 1 / i^theta
//   alpha   = 1 / (1 - theta)
//   eta     = (1 - (2 / n)^(1 - theta)) / (1 - zeta(2) / zeta(n))
//   draw u uniform in [0, 1):  u * zeta(n) < 1                 -> item 0
//                              u * zeta(n) < 1 + 0.5^theta     -> item 1
//                              otherwise                        -> floor(n * (eta u - eta + 1)^alpha)
//
// The item count may grow between draws (new records in the run phase): zeta is then extended
// incrementally, never recomputed from scratch.
import type { Random } from '../random';

export const ZIPFIAN_THETA = 0.99;
/** Terms summed exactly before the tail of zeta is estimated; keeps set-up under ~10 ms. */
const ZETA_EXACT_TERMS = 1_000_000;

/**
 * zeta(n, theta). Up to ZETA_EXACT_TERMS terms are summed; the rest of a longer series is the
 * Euler-Maclaurin estimate of sum over i = m+1..n of i^-theta:
 *   integral from m to n of x^-theta dx + (n^-theta - m^-theta) / 2
 *   + theta / 12 * (m^-(theta+1) - n^-(theta+1)),
 * whose error is far below a double's resolution of the sum at these sizes.
 */
export function zeta(n: number, theta: number, from = 0, sumFrom = 0): number {
  let sum = sumFrom;
  const exactEnd = Math.min(n, Math.max(from, ZETA_EXACT_TERMS));
  for (let i = from + 1; i <= exactEnd; i++) sum += 1 / Math.pow(i, theta);
  if (n <= exactEnd) return sum;
  const m = exactEnd;
  const integral = (Math.pow(n, 1 - theta) - Math.pow(m, 1 - theta)) / (1 - theta);
  const trapezoid = (Math.pow(n, -theta) - Math.pow(m, -theta)) / 2;
  const slope = (theta / 12) * (Math.pow(m, -theta - 1) - Math.pow(n, -theta - 1));
  return sum + integral + trapezoid + slope;
}

export class ZipfianGenerator {
  private readonly alpha: number;
  private readonly zeta2: number;
  private itemCount: number;
  private zetaN: number;
  private eta: number;

  constructor(
    private readonly min: number,
    max: number,
    private readonly random: Random,
    private readonly theta = ZIPFIAN_THETA,
  ) {
    if (!(max >= min)) throw new RangeError(`zipfian range [${min}, ${max}] is empty`);
    this.itemCount = max - min + 1;
    this.alpha = 1 / (1 - theta);
    this.zeta2 = zeta(2, theta);
    this.zetaN = zeta(this.itemCount, theta);
    this.eta = this.etaFor(this.itemCount);
  }

  /** An item in [min, min + itemCount - 1]; itemCount defaults to the current count. */
  next(itemCount = this.itemCount): number {
    if (itemCount > this.itemCount) this.grow(itemCount);
    const n = Math.min(itemCount, this.itemCount);
    const u = this.random.nextDouble();
    const uz = u * this.zetaN;
    if (uz < 1) return this.min;
    if (uz < 1 + Math.pow(0.5, this.theta)) return this.min + Math.min(1, n - 1);
    const item = Math.floor(n * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    return this.min + Math.min(item, n - 1);
  }

  private grow(itemCount: number): void {
    this.zetaN = zeta(itemCount, this.theta, this.itemCount, this.zetaN);
    this.itemCount = itemCount;
    this.eta = this.etaFor(itemCount);
  }

  private etaFor(n: number): number {
    return (1 - Math.pow(2 / n, 1 - this.theta)) / (1 - this.zeta2 / this.zetaN);
  }
}
