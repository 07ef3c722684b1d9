import fc from 'fast-check';
import {
  DIGEST_SEGMENT_WIDTH,
  DIGEST_SEGMENTS,
  TOKEN_MAX,
  digestBucketsOf,
  rangeContains,
  rangeWidth,
  segmentOfToken,
} from '../src';

const token = fc.bigInt({ min: 0n, max: TOKEN_MAX });

describe('digestBucketsOf', () => {
  it('cuts a range into pieces that meet end to start and cover its width exactly', () => {
    fc.assert(
      fc.property(token, token, (start, end) => {
        const buckets = digestBucketsOf({ start, end });
        expect(buckets[0]!.range.start).toBe(start);
        expect(buckets.at(-1)!.range.end).toBe(end);
        for (let i = 1; i < buckets.length; i++)
          expect(buckets[i]!.range.start).toBe(buckets[i - 1]!.range.end);
        const total = buckets.reduce((sum, bucket) => sum + rangeWidth(bucket.range), 0n);
        expect(total).toBe(rangeWidth({ start, end }));
      }),
      // A random range spans thousands of segments: fewer runs keep the spec short.
      { numRuns: 25 },
    );
  });

  it('puts a token of the range in exactly one piece, of the token segment', () => {
    fc.assert(
      fc.property(
        token,
        fc.bigInt({ min: 1n, max: 40n * DIGEST_SEGMENT_WIDTH }),
        token,
        (s, w, t) => {
          const range = { start: s, end: (s + w) & TOKEN_MAX };
          fc.pre(rangeContains(range, t));
          const holding = digestBucketsOf(range).filter((b) => rangeContains(b.range, t));
          expect(holding).toHaveLength(1);
          expect(holding[0]!.segment).toBe(segmentOfToken(t));
        },
      ),
    );
  });

  it('marks whole exactly the pieces as wide as a segment', () => {
    const start = 3n * DIGEST_SEGMENT_WIDTH + 5n;
    const end = 6n * DIGEST_SEGMENT_WIDTH + 7n;
    const buckets = digestBucketsOf({ start, end });
    expect(buckets.map((b) => [b.segment, b.whole])).toEqual([
      [3, false],
      [4, true],
      [5, true],
      [6, false],
    ]);
  });

  it('cuts a range wrapping past the ring end at the last segment and at 0', () => {
    const range = { start: TOKEN_MAX - 10n, end: DIGEST_SEGMENT_WIDTH + 2n };
    const buckets = digestBucketsOf(range);
    expect(buckets.map((b) => b.segment)).toEqual([DIGEST_SEGMENTS - 1, 0, 1]);
    expect(buckets.map((b) => b.whole)).toEqual([false, true, false]);
    expect(buckets[1]!.range).toEqual({ start: TOKEN_MAX, end: DIGEST_SEGMENT_WIDTH - 1n });
  });

  it('gives the whole ring every segment, the start segment twice when cut inside it', () => {
    const aligned = digestBucketsOf({ start: TOKEN_MAX, end: TOKEN_MAX });
    expect(aligned).toHaveLength(DIGEST_SEGMENTS);
    expect(aligned.every((b) => b.whole)).toBe(true);
    const cut = digestBucketsOf({ start: 100n, end: 100n });
    expect(cut).toHaveLength(DIGEST_SEGMENTS + 1);
    expect([cut[0]!.segment, cut.at(-1)!.segment]).toEqual([0, 0]);
    expect(cut.filter((b) => !b.whole)).toHaveLength(2);
  });

  it('keeps a range inside one segment as one partial piece', () => {
    const range = { start: 10n * DIGEST_SEGMENT_WIDTH + 1n, end: 10n * DIGEST_SEGMENT_WIDTH + 9n };
    expect(digestBucketsOf(range)).toEqual([{ range, segment: 10, whole: false }]);
  });
});
