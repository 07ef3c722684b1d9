import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { CRC32_IS_NATIVE, crc32, portableCrc32 } from './crc32';

describe('crc32', () => {
  it('uses the native zlib.crc32 on this Node', () => {
    expect(CRC32_IS_NATIVE).toBe(true);
  });

  it.each([
    ['the empty input', '', 0],
    ['the standard check input "123456789"', '123456789', 0xcbf43926],
    [
      '"The quick brown fox jumps over the lazy dog"',
      'The quick brown fox jumps over the lazy dog',
      0x414fa339,
    ],
  ])('gives the published CRC-32 of %s in both implementations', (_, text, expected) => {
    const bytes = Buffer.from(text, 'latin1');
    expect(crc32(bytes)).toBe(expected);
    expect(portableCrc32(bytes)).toBe(expected);
  });

  it('agrees with the portable implementation on a 4 KiB block with the high bit set', () => {
    const block = randomBytes(4096 + 5);
    block[0] = 0xff;
    expect(crc32(block)).toBe(portableCrc32(block));
    expect(crc32(block)).toBeGreaterThanOrEqual(0);
  });

  it('continues across pieces: crc32(b, crc32(a)) equals crc32(a ++ b), in both', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const whole = Buffer.concat([a, b]);
        expect(crc32(b, crc32(a))).toBe(crc32(whole));
        expect(portableCrc32(b, portableCrc32(a))).toBe(crc32(whole));
      }),
    );
  });

  it('falls back to the crc-32 package where zlib has no crc32 (Node < 20.15)', () => {
    jest.isolateModules(() => {
      jest.doMock('node:zlib', () => ({ __esModule: true, default: {} }));
      const fallback = jest.requireActual<typeof import('./crc32')>('./crc32');
      expect(fallback.CRC32_IS_NATIVE).toBe(false);
      expect(fallback.crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    });
  });
});
