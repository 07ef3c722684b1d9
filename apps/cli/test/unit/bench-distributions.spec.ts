// The request distributions of the YCSB workloads: ranges, skew and repeatability.
import fc from 'fast-check';
import { AcknowledgedCounter } from '../../src/bench/distributions/acknowledged-counter';
import { fnvHash64 } from '../../src/bench/distributions/key-hash';
import {
  SCRAMBLE_ITEM_SPACE,
  ScrambledZipfianGenerator,
} from '../../src/bench/distributions/scrambled-zipfian';
import { SkewedLatestGenerator } from '../../src/bench/distributions/skewed-latest';
import { UniformGenerator } from '../../src/bench/distributions/uniform';
import { zeta, ZipfianGenerator, ZIPFIAN_THETA } from '../../src/bench/distributions/zipfian';
import { Random } from '../../src/bench/random';

const DRAWS = 200_000;

function frequencies(draw: () => number, draws = DRAWS): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const value = draw();
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

function exactZeta(n: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / Math.pow(i, theta);
  return sum;
}

describe('Random', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(first);
  });

  it('draws doubles in [0, 1) with a mean near 1/2', () => {
    const random = new Random(7);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < DRAWS; i++) {
      const u = random.nextDouble();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
    }
    expect(outside).toBe(0);
    expect(sum / DRAWS).toBeCloseTo(0.5, 2);
  });
});

describe('zeta', () => {
  it('sums exactly up to a million terms', () => {
    expect(zeta(1000, ZIPFIAN_THETA)).toBe(exactZeta(1000, ZIPFIAN_THETA));
  });

  it('estimates the tail of a longer series to within 1e-12 relative', () => {
    const n = 1_500_000;
    const exact = exactZeta(n, ZIPFIAN_THETA);
    expect(Math.abs(zeta(n, ZIPFIAN_THETA) - exact) / exact).toBeLessThan(1e-12);
  });

  it('extends incrementally to the same value as from scratch', () => {
    const start = zeta(2_000_000, ZIPFIAN_THETA);
    const extended = zeta(5_000_000, ZIPFIAN_THETA, 2_000_000, start);
    expect(extended).toBeCloseTo(zeta(5_000_000, ZIPFIAN_THETA), 9);
  });

  it("matches YCSB's constant for its 10^10 scrambled item space (26.46902820178302)", () => {
    expect(zeta(SCRAMBLE_ITEM_SPACE, ZIPFIAN_THETA)).toBeCloseTo(26.46902820178302, 6);
  });
});

describe('ZipfianGenerator', () => {
  it('stays within [min, max] for any range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer(),
        (min, size, seed) => {
          const zipfian = new ZipfianGenerator(min, min + size - 1, new Random(seed));
          for (let i = 0; i < 200; i++) {
            const value = zipfian.next();
            expect(value >= min && value <= min + size - 1).toBe(true);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  // Gray et al.'s method is exact for the two most popular items and approximates the rest.
  it('picks items 0 and 1 with probabilities 1/zeta(n) and 2^-0.99/zeta(n), the rest decreasing', () => {
    const items = 1000;
    const zipfian = new ZipfianGenerator(0, items - 1, new Random(11));
    const counts = frequencies(() => zipfian.next());
    const zetaN = zeta(items, ZIPFIAN_THETA);
    for (const item of [0, 1]) {
      const expected = DRAWS / Math.pow(item + 1, ZIPFIAN_THETA) / zetaN;
      expect(Math.abs(counts.get(item)! - expected) / expected).toBeLessThan(0.03);
    }
    const share = (from: number, to: number) => {
      let sum = 0;
      for (let item = from; item < to; item++) sum += counts.get(item) ?? 0;
      return sum;
    };
    expect(share(2, 10)).toBeGreaterThan(share(10, 100) / 3);
    expect(share(10, 100)).toBeGreaterThan(share(100, 1000) / 3);
    expect(share(900, 1000)).toBeGreaterThan(0);
  });

  it('keeps the law when the item count grows between draws', () => {
    const zipfian = new ZipfianGenerator(0, 99, new Random(3));
    const counts = frequencies(() => zipfian.next(10_000));
    expect(Math.max(...counts.keys())).toBeGreaterThan(1000);
    const expectedFirst = DRAWS / zeta(10_000, ZIPFIAN_THETA);
    expect(Math.abs(counts.get(0)! - expectedFirst) / expectedFirst).toBeLessThan(0.1);
  });
});

describe('ScrambledZipfianGenerator', () => {
  it('spreads the most popular keys away from the lowest numbers, skew intact', () => {
    const generator = new ScrambledZipfianGenerator(0, 9_999, new Random(5));
    const counts = frequencies(() => generator.next());
    for (const key of counts.keys()) expect(key >= 0 && key < 10_000).toBe(true);
    const [hottest, hits] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
    expect(hottest).toBe(Number(fnvHash64(0) % 10_000n));
    // The hottest item of a zipfian over 10^10 items has probability 1/zeta = 3.8%.
    expect(hits / DRAWS).toBeCloseTo(1 / 26.469, 2);
  });
});

describe('AcknowledgedCounter', () => {
  it('advances lastValue only over a gap-free prefix of finished inserts', () => {
    const counter = new AcknowledgedCounter(100);
    const [a, b, c] = [counter.next(), counter.next(), counter.next()];
    expect([a, b, c]).toEqual([100, 101, 102]);
    expect(counter.lastValue()).toBe(99);
    counter.acknowledge(c);
    counter.acknowledge(b);
    expect(counter.lastValue()).toBe(99);
    counter.acknowledge(a);
    expect(counter.lastValue()).toBe(102);
  });
});

describe('SkewedLatestGenerator', () => {
  it('favours the newest record and follows new inserts', () => {
    const counter = new AcknowledgedCounter(1000);
    const latest = new SkewedLatestGenerator(counter, new Random(9));
    const before = frequencies(() => latest.next(), 50_000);
    expect([...before.entries()].sort((a, b) => b[1] - a[1])[0]![0]).toBe(999);
    for (let i = 0; i < 10; i++) counter.acknowledge(counter.next());
    const after = frequencies(() => latest.next(), 50_000);
    expect(Math.max(...after.keys())).toBe(1009);
    expect([...after.entries()].sort((a, b) => b[1] - a[1])[0]![0]).toBe(1009);
  });
});

describe('UniformGenerator', () => {
  it('covers [min, max] evenly', () => {
    const uniform = new UniformGenerator(10, 19, new Random(1));
    const counts = frequencies(() => uniform.next());
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([
      10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ]);
    for (const count of counts.values())
      expect(Math.abs(count - DRAWS / 10) / (DRAWS / 10)).toBeLessThan(0.05);
  });
});
