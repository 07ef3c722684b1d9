import { MemoryIdempotencyStore } from '../../src/idempotency';
import { IdempotencyKeyReusedError } from '../../src/errors';
import { DuplicateInProgressError, IdempotentWrites } from '../../src/paths/idempotent-writes';

const codec = {
  encode: (value: string) => Buffer.from(value),
  decode: (bytes: Buffer) => bytes.toString(),
};

const request = (fingerprint: string, idempotencyKey = 'k1') => ({
  tenantId: 't',
  key: 'key',
  idempotencyKey,
  fingerprintParts: ['write', fingerprint],
});

describe('idempotent writes', () => {
  it('runs the write once and answers a retry with the stored response as a duplicate', async () => {
    const writes = new IdempotentWrites(new MemoryIdempotencyStore(), { waitMs: 1_000 });
    let runs = 0;
    const write = async () => `response-${++runs}`;
    expect(await writes.run(request('a'), codec, write)).toEqual({
      response: 'response-1',
      duplicate: false,
    });
    expect(await writes.run(request('a'), codec, write)).toEqual({
      response: 'response-1',
      duplicate: true,
    });
    expect(runs).toBe(1);
  });

  it('refuses the same key for a different request', async () => {
    const writes = new IdempotentWrites(new MemoryIdempotencyStore(), { waitMs: 1_000 });
    await writes.run(request('a'), codec, async () => 'first');
    await expect(writes.run(request('b'), codec, async () => 'second')).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });

  it('lets concurrent duplicates write once and all get the one response', async () => {
    const writes = new IdempotentWrites(new MemoryIdempotencyStore(), { waitMs: 2_000 });
    let runs = 0;
    const slowWrite = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'only';
    };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => writes.run(request('a'), codec, slowWrite)),
    );
    expect(runs).toBe(1);
    expect(results.map((r) => r.response)).toEqual(Array(8).fill('only'));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
  });

  it('releases the claim of a failed write so a retry writes', async () => {
    const writes = new IdempotentWrites(new MemoryIdempotencyStore(), { waitMs: 1_000 });
    await expect(
      writes.run(request('a'), codec, async () => {
        throw new Error('quorum not reached');
      }),
    ).rejects.toThrow('quorum not reached');
    expect(await writes.run(request('a'), codec, async () => 'retried')).toEqual({
      response: 'retried',
      duplicate: false,
    });
  });

  it('gives up on a duplicate still in progress after the wait', async () => {
    const writes = new IdempotentWrites(new MemoryIdempotencyStore(), { waitMs: 50 });
    let finish!: (value: string) => void;
    const first = writes.run(
      request('a'),
      codec,
      () => new Promise<string>((resolve) => (finish = resolve)),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(writes.run(request('a'), codec, async () => 'second')).rejects.toBeInstanceOf(
      DuplicateInProgressError,
    );
    finish('first');
    expect((await first).response).toBe('first');
  });
});
