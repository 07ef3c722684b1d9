import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  InvalidTokenError,
  TOKEN_MAX,
  TOKEN_SPACE,
  assertToken,
  keyToken,
  virtualNodeToken,
} from '../src';

// An independent reading of the placement contract in src/token.ts: SHA-256 over the UTF-8
// bytes, first 8 bytes as an unsigned big-endian integer.
function referenceToken(text: string): bigint {
  const digest = createHash('sha256').update(Buffer.from(text, 'utf8')).digest();
  let token = 0n;
  for (let index = 0; index < 8; index++) token = (token << 8n) | BigInt(digest[index]);
  return token;
}

// Pinned once from the reference above. If one of these fails, the byte string or the hash
// changed: every key of every cluster would move. Do not "fix" the literals.
const KEY_TOKEN_VECTORS: ReadonlyArray<[tenantId: string, key: string, token: bigint]> = [
  ['tenant-a', 'user:42', 0x43dade87b0eee4ben],
  ['tenant-a', 'key-0', 0x3a4d5d38439f01c4n],
  ['acme', '', 0x775e497bfac5ee4an],
  ['', 'k', 0x206467601987559bn],
  ['t\u00e9nant', 'ключ-🔑', 0x9a578981c79b032bn],
];

const VIRTUAL_NODE_TOKEN_VECTORS: ReadonlyArray<[nodeId: string, index: number, token: bigint]> = [
  ['node-1', 0, 0x1e764963f03e78afn],
  ['node-1', 149, 0x921bdf9dfcf70131n],
  ['node-2', 7, 0xd01a7d352ec090ebn],
];

describe('keyToken', () => {
  it.each(KEY_TOKEN_VECTORS)('pinned vector %j / %j', (tenantId, key, expected) => {
    expect(keyToken(tenantId, key)).toBe(expected);
    expect(referenceToken(`${tenantId}:${key}`)).toBe(expected);
  });

  it('matches the reference reading of the contract for arbitrary unicode tenants and keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (t, k) => {
        expect(keyToken(t, k)).toBe(referenceToken(`${t}:${k}`));
      }),
    );
  });

  it('separates tenant and key with a colon, so the same key of two tenants differs', () => {
    expect(keyToken('a', 'bc')).toBe(referenceToken('a:bc'));
    expect(keyToken('a', 'bc')).not.toBe(keyToken('ab', 'c'));
  });

  it('stays within 0..2^64-1', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (t, k) => {
        const token = keyToken(t, k);
        expect(token >= 0n && token <= TOKEN_MAX).toBe(true);
      }),
    );
  });
});

describe('virtualNodeToken', () => {
  it.each(VIRTUAL_NODE_TOKEN_VECTORS)('pinned vector %s#%d', (nodeId, index, expected) => {
    expect(virtualNodeToken(nodeId, index)).toBe(expected);
    expect(referenceToken(`${nodeId}#${index}`)).toBe(expected);
  });

  it('writes the index in plain decimal (no padding)', () => {
    expect(virtualNodeToken('n', 7)).toBe(referenceToken('n#7'));
    expect(virtualNodeToken('n', 7)).not.toBe(referenceToken('n#07'));
  });
});

describe('assertToken', () => {
  it('accepts both ends of the token space', () => {
    expect(() => assertToken(0n)).not.toThrow();
    expect(() => assertToken(TOKEN_MAX)).not.toThrow();
  });

  it.each([
    ['negative', -1n],
    ['2^64', TOKEN_SPACE],
  ])('rejects a %s token', (_label, token) => {
    expect(() => assertToken(token)).toThrow(InvalidTokenError);
  });

  it('rejects a number where a bigint is required', () => {
    expect(() => assertToken(5 as unknown as bigint)).toThrow(InvalidTokenError);
  });
});
