// --context accepts what get --json prints, keeps counters exact, and names bad input.
import fc from 'fast-check';
import { UsageError } from '../../src/exit-codes';
import { clockToText, parseClock } from '../../src/values/clock-text';

describe('clock text', () => {
  it('round-trips any clock exactly, counters beyond 2^53 included', () => {
    const entry = fc.record({
      actor: fc.string({ minLength: 1, maxLength: 20 }),
      counter: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (clock) => {
        expect(parseClock(JSON.stringify(clockToText(clock)))).toEqual(clock);
      }),
    );
  });

  it('takes the whole get --json output and uses its vectorClock', () => {
    const output = JSON.stringify({
      key: 'k',
      value: 'v',
      vectorClock: [{ actor: 'c1', counter: '117657950032625664' }],
      siblings: [],
    });
    expect(parseClock(output)).toEqual([{ actor: 'c1', counter: 117657950032625664n }]);
  });

  it.each([
    ['not json', /not JSON/],
    ['{"key": "k"}', /vectorClock array/],
    ['[{"actor": "", "counter": "1"}]', /entry 0/],
    ['[{"actor": "a", "counter": "-1"}]', /entry 0/],
    ['[{"actor": "a", "counter": 1.5}]', /entry 0/],
  ])('refuses %s with a usage error', (text, message) => {
    expect(() => parseClock(text)).toThrow(UsageError);
    expect(() => parseClock(text)).toThrow(message);
  });
});
