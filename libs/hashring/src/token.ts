// Ring tokens: where keys and virtual nodes sit on the ring.
//
// PLACEMENT CONTRACT. Every coordinator and storage node must compute the same tokens, and the
// tokens decide where data lives: changing any byte below moves data between nodes.
//
//   token(bytes)    = first 8 bytes of SHA-256(bytes), read as an unsigned 64-bit
//                     big-endian integer (0 .. 2^64 - 1)
//   key token       = token(UTF-8(tenantId ":" key))
//   vnode token     = token(UTF-8(nodeId "#" decimal(vnodeIndex)))
//
// where ":" is the single byte 0x3a, "#" the single byte 0x23, decimal() has no sign, no
// leading zeros and no separators, and vnodeIndex runs 0 .. virtualNodes - 1. Example: node
// "node-1" with 150 virtual nodes hashes "node-1#0" .. "node-1#149".
//
// Strings are encoded as UTF-8 (a lone surrogate becomes U+FFFD, as in Buffer.from). The vnode
// string is unambiguous even when a node id contains "#": the text after the last "#" is always
// the index. Tenant ids and keys are not separated that way ("a:b" + ":" + "c" equals "a" + ":"
// + "b:c"); that only means two such keys share a token, which placement tolerates.

import { hash } from 'node:crypto';
import { InvalidTokenError } from './errors';

/** A position on the ring: an unsigned 64-bit integer. */
export type Token = bigint;

/** Width of a token in bits; tokens are the first 8 bytes of the digest. */
export const TOKEN_BITS = 64;

/** Number of distinct tokens (2^64): the size of the whole ring. */
export const TOKEN_SPACE: bigint = 1n << BigInt(TOKEN_BITS);

/** The largest token; the ring wraps from here to 0. */
export const TOKEN_MAX: Token = TOKEN_SPACE - 1n;

const DIGEST_ALGORITHM = 'sha256';

/** Byte between tenant id and key in the key token's input (the placement contract). */
export const KEY_SEPARATOR = ':';

/** Byte between node id and vnode index in a vnode token's input (the placement contract). */
export const VIRTUAL_NODE_SEPARATOR = '#';

/** The token of a UTF-8 string: SHA-256, first 8 bytes, unsigned big-endian. */
export function tokenOf(text: string): Token {
  return hash(DIGEST_ALGORITHM, text, 'buffer').readBigUInt64BE(0);
}

/** Where `key` of `tenantId` sits on the ring; the coordinator and storage nodes both use it. */
export function keyToken(tenantId: string, key: string): Token {
  return tokenOf(tenantId + KEY_SEPARATOR + key);
}

/** Where virtual node `vnodeIndex` (0-based) of `nodeId` sits on the ring. */
export function virtualNodeToken(nodeId: string, vnodeIndex: number): Token {
  return tokenOf(nodeId + VIRTUAL_NODE_SEPARATOR + String(vnodeIndex));
}

/** Throws InvalidTokenError unless `token` is a bigint in 0 .. 2^64 - 1. */
export function assertToken(token: Token): void {
  if (typeof token !== 'bigint' || token < 0n || token > TOKEN_MAX) {
    throw new InvalidTokenError(token);
  }
}
