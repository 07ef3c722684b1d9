import { VersionArgumentError, compareDots, dotsEqual, makeDot } from '../src';

describe('dots', () => {
  it('order by counter before actor', () => {
    expect(compareDots(makeDot('z', 1n), makeDot('a', 2n))).toBeLessThan(0);
  });

  it('break a counter tie by actor', () => {
    expect(compareDots(makeDot('b', 7n), makeDot('a', 7n))).toBeGreaterThan(0);
    expect(compareDots(makeDot('a', 7n), makeDot('a', 7n))).toBe(0);
  });

  it('compare counters above 2^53 exactly', () => {
    const big = 1n << 60n;
    expect(compareDots(makeDot('a', big), makeDot('a', big + 1n))).toBeLessThan(0);
    expect(dotsEqual(makeDot('a', big), makeDot('a', big + 1n))).toBe(false);
  });

  it('reject a zero counter', () => {
    expect(() => makeDot('a', 0n)).toThrow(VersionArgumentError);
  });
});
