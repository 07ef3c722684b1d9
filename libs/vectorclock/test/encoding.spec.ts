import fc from 'fast-check';
import {
  COUNTER_MAX,
  FORMAT_VERSION_CURRENT,
  type VersionSet,
  VersionArgumentError,
  VersionSetDecodeError,
  VersionVector,
  decodeVersionSet,
  encodeVersionSet,
  makeDot,
  makeSibling,
  makeVersionSet,
} from '../src';
import { anyVersionSet, hex } from './arbitraries';

const fromHex = (text: string): Uint8Array =>
  Uint8Array.from(Buffer.from(text.replace(/ /g, ''), 'hex'));

/** The error decoding `bytes` throws, as { offset, reason }. */
function decodeFailure(bytes: Uint8Array): { offset: number; reason: string } {
  try {
    decodeVersionSet(bytes);
  } catch (error) {
    if (error instanceof VersionSetDecodeError)
      return { offset: error.offset, reason: error.reason };
    throw error;
  }
  throw new Error('decoded without an error');
}

/** Decodes or fails with VersionSetDecodeError; a successful decode must re-encode identically. */
function decodesCanonicallyOrRejects(bytes: Uint8Array): void {
  let decoded: VersionSet;
  try {
    decoded = decodeVersionSet(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(VersionSetDecodeError);
    return;
  }
  expect(Buffer.from(encodeVersionSet(decoded)).toString('hex')).toBe(
    Buffer.from(bytes).toString('hex'),
  );
}

// {a:1, b:300} with siblings a:1 = "hi" and b:300 = tombstone.
const GOLDEN_HEX =
  '01' + // format version 1
  '02 0161 0162' + // actor table: "a", "b"
  '02 00 01 01 ac02' + // context: a -> 1, b -> 300
  '02 00 01 01 02 6869 01 ac02 02'; // siblings: a:1 value "hi", b:300 tombstone
const golden = makeVersionSet(
  VersionVector.from([
    ['a', 1n],
    ['b', 300n],
  ]),
  [
    makeSibling(makeDot('a', 1n), { value: new TextEncoder().encode('hi') }),
    makeSibling(makeDot('b', 300n), { tombstone: true }),
  ],
);

describe('encodeVersionSet', () => {
  it('writes the documented bytes for a known set (format version 1 is frozen)', () => {
    expect(hex(golden)).toBe(GOLDEN_HEX.replace(/ /g, ''));
    expect(FORMAT_VERSION_CURRENT).toBe(1);
  });

  it('encodes the empty set as version, no actors, no entries, no siblings', () => {
    expect(hex(makeVersionSet(VersionVector.EMPTY, []))).toBe('01000000');
  });

  it('writes the largest counter in 9 varint bytes', () => {
    const set = makeVersionSet(VersionVector.from([['a', COUNTER_MAX]]), []);
    expect(hex(set)).toBe('0101016101' + '00' + 'ff'.repeat(8) + '7f' + '00');
  });

  it('refuses siblings out of dot order (a set not built by makeVersionSet)', () => {
    const unsorted: VersionSet = {
      context: VersionVector.EMPTY,
      siblings: [
        { dot: makeDot('a', 2n), tombstone: true },
        { dot: makeDot('a', 1n), tombstone: true },
      ],
    };
    expect(() => encodeVersionSet(unsorted)).toThrow(VersionArgumentError);
  });
});

describe('decodeVersionSet', () => {
  it('round-trips the golden bytes', () => {
    const decoded = decodeVersionSet(fromHex(GOLDEN_HEX));
    expect(decoded.context.entries()).toEqual(golden.context.entries());
    expect(decoded.siblings).toEqual(golden.siblings);
  });

  it('keeps an actor that starts with U+FEFF (a byte order mark is data here)', () => {
    const set = makeVersionSet(VersionVector.from([['\ufeffnode', 3n]]), []);
    expect(decodeVersionSet(encodeVersionSet(set)).context.entries()).toEqual([['\ufeffnode', 3n]]);
  });

  it('copies values out of the input buffer', () => {
    const input = fromHex(GOLDEN_HEX);
    const decoded = decodeVersionSet(input);
    input.fill(0);
    expect(decoded.siblings[0]).toEqual(golden.siblings[0]);
  });

  it.each([
    ['empty input', '', 0, 'truncated: format version missing'],
    ['reserved format version 0', '00 000000', 0, 'format version 0 is reserved'],
    ['unknown format version 2', '02 000000', 0, 'unknown format version 2'],
    ['truncated actor table', '01 01 05 61', 3, 'truncated: actor needs 5 bytes, 1 left'],
    ['actor of length 0', '01 01 00 00 00', 2, 'actor length 0 outside 1..255'],
    ['actor that is not UTF-8', '01 01 01 ff 01 00 01 00', 2, 'actor is not valid UTF-8'],
    ['actors out of order', '01 02 0162 0161 00 00', 4, 'actor table not strictly increasing'],
    ['actor listed twice', '01 02 0161 0161 00 00', 4, 'actor table not strictly increasing'],
    ['actor index past the table', '01 01 0161 01 01 01 00', 5, 'actor index 1 not below 1'],
    ['counter 0', '01 01 0161 01 00 00 00', 6, 'counter 0 is out of range'],
    [
      'counter of 2^63',
      '01 01 0161 01 00 8080808080808080 80 01 00',
      6,
      'counter out of range (above 9223372036854775807)',
    ],
    ['non-minimal varint', '01 01 0161 01 00 8100 00', 6, 'counter varint is not minimal'],
    [
      'context actors out of order',
      '01 02 0161 0162 02 01 01 00 01 00',
      9,
      'context actors not strictly increasing',
    ],
    ['unknown sibling kind', '01 01 0161 00 01 00 01 03', 8, 'unknown sibling kind 3'],
    ['reserved sibling kind 0', '01 01 0161 00 01 00 01 00', 8, 'unknown sibling kind 0'],
    [
      'siblings out of dot order',
      '01 01 0161 00 02 00 02 02 00 01 02',
      9,
      'sibling dots not strictly increasing',
    ],
    [
      'truncated value',
      '01 01 0161 00 01 00 01 01 03 6869',
      10,
      'truncated: value needs 3 bytes, 2 left',
    ],
    [
      'sibling count beyond the input',
      '01 00 00 05 000102',
      3,
      'sibling count 5 cannot fit in 3 remaining bytes',
    ],
    ['trailing bytes', '01 000000 ff ff', 4, '2 trailing bytes'],
    ['unused actor', '01 01 0161 00 00', 2, 'actor 0 is never used'],
  ])('rejects %s', (_case, input, offset, reason) => {
    expect(decodeFailure(fromHex(input))).toEqual({ offset, reason });
  });

  it('names the offset in the message', () => {
    expect(() => decodeVersionSet(fromHex('01 000000 ff'))).toThrow(
      'cannot decode version set at offset 4: 1 trailing bytes',
    );
  });

  it('every truncation of a valid encoding is rejected as truncated or incomplete', () => {
    const bytes = fromHex(GOLDEN_HEX);
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeVersionSet(bytes.subarray(0, length))).toThrow(VersionSetDecodeError);
    }
  });
});

describe('encoding properties', () => {
  it('decode(encode(set)) gives the same set back', () => {
    fc.assert(
      fc.property(anyVersionSet, (set) => {
        const decoded = decodeVersionSet(encodeVersionSet(set));
        expect(decoded.context.entries()).toEqual(set.context.entries());
        expect(decoded.siblings).toEqual(set.siblings);
      }),
      { numRuns: 3000 },
    );
  });

  it('random bytes either fail with VersionSetDecodeError or are a canonical encoding', () => {
    const randomInput = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => {
        bytes[0] = 1;
        return bytes;
      }),
    );
    fc.assert(fc.property(randomInput, decodesCanonicallyOrRejects), { numRuns: 5000 });
  });

  it('corrupted valid encodings either fail with VersionSetDecodeError or are canonical', () => {
    const corrupted = fc
      .tuple(anyVersionSet, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(3))
      .map(([set, position, mask, cut]) => {
        const bytes = encodeVersionSet(set);
        bytes[position % bytes.length] ^= mask;
        return bytes.subarray(0, Math.max(0, bytes.length - cut));
      });
    fc.assert(fc.property(corrupted, decodesCanonicallyOrRejects), { numRuns: 5000 });
  });
});
