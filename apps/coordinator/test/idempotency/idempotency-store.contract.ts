// The IdempotencyStore contract, run against every implementation (memory, Redis).
import { randomBytes } from 'node:crypto';
import {
  idempotencyScopeKey,
  type ClaimResult,
  type IdempotencyClaim,
  type IdempotencyStore,
} from '../../src/idempotency';

/** Concurrent claims of one key raced against each other. */
const RACING_CLAIMS = 50;
/** Short enough to wait out in a test, long enough to outlast the calls that rely on it. */
const SHORT_TTL_MS = 150;
const LONG_TTL_MS = 60_000;

function freshScope(): string {
  return idempotencyScopeKey('tenant', `key-${randomBytes(4).toString('hex')}`, 'idem-1');
}

function claimed(result: ClaimResult): IdempotencyClaim {
  if (result.state !== 'claimed') throw new Error(`expected a claim, got ${result.state}`);
  return result.claim;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function idempotencyStoreContract(store: () => IdempotencyStore): void {
  it('claims a free key once; a second claim sees it in progress with the first fingerprint', async () => {
    const scope = freshScope();
    const first = claimed(await store().claim(scope, 'fp-1', LONG_TTL_MS));
    expect(first).toMatchObject({ scopeKey: scope, fingerprint: 'fp-1' });
    expect(await store().claim(scope, 'fp-2', LONG_TTL_MS)).toEqual({
      state: 'in_progress',
      fingerprint: 'fp-1',
    });
  });

  it(`gives exactly one of ${RACING_CLAIMS} concurrent claims the key`, async () => {
    const scope = freshScope();
    const results = await Promise.all(
      Array.from({ length: RACING_CLAIMS }, (_, index) =>
        store().claim(scope, `fp-${index}`, LONG_TTL_MS),
      ),
    );
    const winners = results.filter((result) => result.state === 'claimed');
    expect(winners).toHaveLength(1);
    const winnerFingerprint = claimed(winners[0]!).fingerprint;
    for (const result of results.filter((r) => r.state !== 'claimed')) {
      expect(result).toEqual({ state: 'in_progress', fingerprint: winnerFingerprint });
    }
  });

  it('answers the exact stored response bytes after complete', async () => {
    const scope = freshScope();
    const claim = claimed(await store().claim(scope, 'fp', LONG_TTL_MS));
    const response = Buffer.from([0x00, 0xff, 0x0a, 0x3a, 0x00, 0x80]);
    expect(await store().complete(claim, response, LONG_TTL_MS)).toBe(true);
    response[0] = 0x7f; // the store keeps its own copy
    expect(await store().claim(scope, 'other', LONG_TTL_MS)).toEqual({
      state: 'done',
      fingerprint: 'fp',
      response: Buffer.from([0x00, 0xff, 0x0a, 0x3a, 0x00, 0x80]),
    });
  });

  it('keeps an empty response and a non-ASCII fingerprint', async () => {
    const scope = freshScope();
    const claim = claimed(await store().claim(scope, 'empreinte-é-指紋', LONG_TTL_MS));
    await store().complete(claim, Buffer.alloc(0), LONG_TTL_MS);
    expect(await store().claim(scope, 'x', LONG_TTL_MS)).toEqual({
      state: 'done',
      fingerprint: 'empreinte-é-指紋',
      response: Buffer.alloc(0),
    });
  });

  it('frees the key on release so that a retry may write', async () => {
    const scope = freshScope();
    const first = claimed(await store().claim(scope, 'fp', LONG_TTL_MS));
    expect(await store().release(first)).toBe(true);
    const retry = claimed(await store().claim(scope, 'fp', LONG_TTL_MS));
    expect(retry.token).not.toBe(first.token);
    expect(await store().release(first)).toBe(false);
    expect((await store().claim(scope, 'fp', LONG_TTL_MS)).state).toBe('in_progress');
  });

  it('does not release a completed record', async () => {
    const scope = freshScope();
    const claim = claimed(await store().claim(scope, 'fp', LONG_TTL_MS));
    await store().complete(claim, Buffer.from('ok'), LONG_TTL_MS);
    expect(await store().release(claim)).toBe(false);
    expect((await store().claim(scope, 'fp', LONG_TTL_MS)).state).toBe('done');
  });

  it('frees an abandoned claim after its TTL', async () => {
    const scope = freshScope();
    claimed(await store().claim(scope, 'fp', SHORT_TTL_MS));
    expect((await store().claim(scope, 'fp', LONG_TTL_MS)).state).toBe('in_progress');
    await sleep(SHORT_TTL_MS * 2);
    expect((await store().claim(scope, 'fp', LONG_TTL_MS)).state).toBe('claimed');
  });

  it('forgets a stored response after its TTL', async () => {
    const scope = freshScope();
    const claim = claimed(await store().claim(scope, 'fp', LONG_TTL_MS));
    await store().complete(claim, Buffer.from('ok'), SHORT_TTL_MS);
    expect((await store().claim(scope, 'fp', LONG_TTL_MS)).state).toBe('done');
    await sleep(SHORT_TTL_MS * 2);
    expect((await store().claim(scope, 'fp', LONG_TTL_MS)).state).toBe('claimed');
  });

  it('lets a stale claim neither release nor overwrite the claim that replaced it', async () => {
    const scope = freshScope();
    const stale = claimed(await store().claim(scope, 'old', SHORT_TTL_MS));
    await sleep(SHORT_TTL_MS * 2);
    const current = claimed(await store().claim(scope, 'new', LONG_TTL_MS));
    expect(await store().release(stale)).toBe(false);
    expect(await store().complete(stale, Buffer.from('stale'), LONG_TTL_MS)).toBe(false);
    expect(await store().claim(scope, 'x', LONG_TTL_MS)).toEqual({
      state: 'in_progress',
      fingerprint: 'new',
    });
    expect(await store().complete(current, Buffer.from('fresh'), LONG_TTL_MS)).toBe(true);
    expect(await store().claim(scope, 'x', LONG_TTL_MS)).toMatchObject({
      state: 'done',
      response: Buffer.from('fresh'),
    });
  });

  it('stores the response of a claim that expired while nobody else claimed', async () => {
    const scope = freshScope();
    const claim = claimed(await store().claim(scope, 'fp', SHORT_TTL_MS));
    await sleep(SHORT_TTL_MS * 2);
    expect(await store().complete(claim, Buffer.from('late'), LONG_TTL_MS)).toBe(true);
    expect(await store().claim(scope, 'fp', LONG_TTL_MS)).toMatchObject({ state: 'done' });
  });

  it('keeps scope keys independent', async () => {
    const first = freshScope();
    const second = freshScope();
    claimed(await store().claim(first, 'fp', LONG_TTL_MS));
    expect((await store().claim(second, 'fp', LONG_TTL_MS)).state).toBe('claimed');
  });

  it('refuses a TTL that is not a positive integer', async () => {
    await expect(store().claim(freshScope(), 'fp', 0)).rejects.toThrow(RangeError);
    await expect(store().claim(freshScope(), 'fp', 1.5)).rejects.toThrow(RangeError);
  });

  it('answers ping', async () => {
    await expect(store().ping()).resolves.toBeUndefined();
  });
}
