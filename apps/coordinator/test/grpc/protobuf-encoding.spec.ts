// The exact-size encoders must produce the generated encoders' bytes for any message.
import { storageV1 } from '@pairdb/proto';
import { encodeExchangeRequest, type OutgoingItem } from '../../src/grpc/exchange-codec';
import {
  encodeDeleteRequest,
  encodeWriteRequest,
} from '../../src/replicas/storage-request-encoding';
import { prepareWrite } from '../../src/replicas/replica-transport';
import { VersionVector } from '@pairdb/vectorclock';

/** Deterministic pseudo-random numbers, so a failure replays. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(options: readonly T[]): T => options[int(options.length)]!;
  const text = () => pick(['', 'a', 'coord-1', 'é€😀', 'x'.repeat(200), 'tenant-' + int(1000)]);
  const counter = () =>
    pick([
      0n,
      1n,
      127n,
      128n,
      2n ** 32n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 63n - 1n,
      -1n,
      -(2n ** 63n),
    ]);
  const bytes = () => Buffer.alloc(pick([0, 1, 100, 127, 128, 20_000]), int(256));
  const entries = () =>
    Array.from({ length: int(4) }, () => ({ actor: text(), counter: counter() }));
  const maybe = <T>(make: () => T): T | undefined => (int(2) === 0 ? undefined : make());
  return { int, pick, text, counter, bytes, entries, maybe };
}

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

describe('exact-size protobuf encoders', () => {
  it.each(SEEDS)('WriteRequest and DeleteRequest, seed %i', (seed) => {
    const g = generator(seed);
    const shared = {
      tenantId: g.text(),
      key: g.text(),
      context: g.entries(),
      dot: g.maybe(() => ({ actor: g.text(), counter: g.counter() })),
      conflictPolicy: g.pick([0, 1, 2, -1, 300]),
      hintFor: g.maybe(() => ({ nodeId: g.text(), address: g.text() })),
      replyClockOnly: g.int(2) === 1,
      ringVersion: BigInt(g.pick([0, 1, 300, 2 ** 40])),
    };
    const write: storageV1.WriteRequest = { ...shared, value: g.bytes() };
    expect(encodeWriteRequest(write)).toEqual(
      Buffer.from(storageV1.WriteRequest.encode(write).finish()),
    );
    expect(encodeDeleteRequest(shared)).toEqual(
      Buffer.from(storageV1.DeleteRequest.encode(shared).finish()),
    );
  });

  it.each(SEEDS.slice(0, 100))('ExchangeRequest, seed %i', (seed) => {
    const g = generator(seed);
    const batch = Array.from({ length: g.int(6) }, () => {
      const request: storageV1.WriteRequest = {
        tenantId: g.text(),
        key: g.text(),
        value: g.bytes(),
        context: g.entries(),
        dot: g.maybe(() => ({ actor: g.text(), counter: g.counter() })),
        conflictPolicy: g.pick([0, 1, 2]),
        hintFor: g.maybe(() => ({ nodeId: g.text(), address: g.text() })),
        replyClockOnly: g.int(2) === 1,
        ringVersion: BigInt(g.pick([0, 1, 300, 2 ** 40])),
      };
      return {
        id: g.pick([0, 1, 300, 0xffff_ffff]),
        timeoutMs: g.pick([0, 5_000, 2 ** 31]),
        request,
      };
    });
    const items: OutgoingItem[] = batch.map(({ id, timeoutMs, request }) => ({
      id,
      timeoutMs,
      operation: { kind: 'write', bytes: encodeWriteRequest(request) },
    }));
    const generated = storageV1.ExchangeRequest.encode({
      items: batch.map(({ id, timeoutMs, request }) => ({
        id,
        timeoutMs,
        operation: { $case: 'write', value: request },
      })),
    }).finish();
    expect(encodeExchangeRequest(items)).toEqual(Buffer.from(generated));
  });

  it('encodes an Exchange batch of real writes as the generated encoder does', () => {
    const write = {
      tenantId: 't',
      key: 'k',
      value: Buffer.from('v'),
      context: VersionVector.from([['a', 3n]]),
      dot: { actor: 'coord-1', counter: 2n ** 50n },
      policy: 'lww' as const,
      hintFor: undefined,
      ringVersion: 7,
    };
    const request = {
      tenantId: 't',
      key: 'k',
      value: Buffer.from('v'),
      context: [{ actor: 'a', counter: 3n }],
      dot: { actor: 'coord-1', counter: 2n ** 50n },
      conflictPolicy: 1,
      hintFor: undefined,
      replyClockOnly: true,
      ringVersion: 7n,
    };
    const items: OutgoingItem[] = [
      { id: 1, timeoutMs: 5_000, operation: prepareWrite(write) },
      { id: 2 ** 31, timeoutMs: 0, operation: prepareWrite({ ...write, key: 'other' }) },
    ];
    const generated = storageV1.ExchangeRequest.encode({
      items: [
        { id: 1, timeoutMs: 5_000, operation: { $case: 'write', value: request } },
        {
          id: 2 ** 31,
          timeoutMs: 0,
          operation: { $case: 'write', value: { ...request, key: 'other' } },
        },
      ],
    }).finish();
    expect(encodeExchangeRequest(items)).toEqual(Buffer.from(generated));
  });

  it('refuses a counter beyond int64, as the generated encoder does', () => {
    const request = storageV1.WriteRequest.fromPartial({ dot: { actor: 'a', counter: 2n ** 63n } });
    expect(() => storageV1.WriteRequest.encode(request)).toThrow();
    expect(() => encodeWriteRequest(request)).toThrow(RangeError);
  });
});
