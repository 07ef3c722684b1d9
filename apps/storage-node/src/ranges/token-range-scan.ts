// Reads every stored version whose token lies in a ring range, in engine-key order, from one
// engine snapshot. Ranges follow the ring convention: start < token <= end, wrapping past the
// top when start >= end (start == end is the whole ring).
import { TOKEN_MAX, type Token } from '@pairdb/hashring';
import { decodeVersionSet, type VersionSet } from '@pairdb/vectorclock';
import type { Engine, Snapshot } from '../engine';
import { DATA_KEYSPACE_END, dataKeyFloor, decodeDataKey } from '../versions/engine-keys';

export interface ScannedVersion {
  readonly tenantId: string;
  readonly key: string;
  readonly token: Token;
  readonly engineKey: Buffer;
  readonly versions: VersionSet;
  /** Bytes of the stored encoding: what a page of these costs on the wire, about. */
  readonly encodedBytes: number;
}

export interface TokenRangeQuery {
  readonly start: Token;
  readonly end: Token;
  /** Only this tenant's keys; empty means every tenant. */
  readonly tenantId?: string;
  /** Resume strictly after this engine key. */
  readonly afterKey?: Buffer;
}

/** Engine key bounds [gte, lt) of the tokens (from, to], in ascending engine order. */
function segments(start: Token, end: Token): Array<{ gte: Buffer; lt: Buffer }> {
  const after = (token: Token) =>
    token === TOKEN_MAX ? DATA_KEYSPACE_END : dataKeyFloor(token + 1n);
  if (start < end) return [{ gte: after(start), lt: after(end) }];
  // Wrapping (or whole ring): [0, end] then (start, max].
  return [
    { gte: dataKeyFloor(0n), lt: after(end) },
    { gte: after(start), lt: DATA_KEYSPACE_END },
  ];
}

export interface ScannedEntry {
  readonly tenantId: string;
  readonly key: string;
  readonly token: Token;
  readonly engineKey: Buffer;
  /** The stored (canonical) encoding of the version set. */
  readonly encoded: Buffer;
}

export function* scanTokenRange(
  engine: Engine,
  query: TokenRangeQuery,
  snapshot: Snapshot,
): Generator<ScannedVersion> {
  for (const entry of scanTokenRangeEncoded(engine, query, snapshot)) {
    const { encoded, ...rest } = entry;
    yield { ...rest, versions: decodeVersionSet(encoded), encodedBytes: encoded.length };
  }
}

export function* scanTokenRangeEncoded(
  engine: Engine,
  query: TokenRangeQuery,
  snapshot: Snapshot,
): Generator<ScannedEntry> {
  for (const segment of segments(query.start, query.end)) {
    let gte: Buffer | undefined = segment.gte;
    let gt: Buffer | undefined;
    if (query.afterKey && query.afterKey.length > 0) {
      if (Buffer.compare(query.afterKey, segment.lt) >= 0) continue;
      if (Buffer.compare(query.afterKey, segment.gte) >= 0) {
        gte = undefined;
        gt = query.afterKey;
      }
    }
    const range = gte ? { gte, lt: segment.lt, snapshot } : { gt: gt!, lt: segment.lt, snapshot };
    for (const [engineKey, value] of engine.iterate(range)) {
      const { tenantId, key, token } = decodeDataKey(engineKey);
      if (query.tenantId && tenantId !== query.tenantId) continue;
      yield {
        tenantId,
        key,
        token,
        engineKey: Buffer.from(engineKey),
        encoded: Buffer.from(value),
      };
    }
  }
}
