// Which failures are tried again, how long the client waits, and the bounds on both.
import {
  ConflictError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  QuorumError,
  UnavailableError,
} from '../src';
import { RETRY_ATTEMPTS_MAX, RetryPolicy } from '../src/retry-policy';

const unavailable = new UnavailableError('UNAVAILABLE', 'ReadKeyValue', 'down');
const aborted = new ConflictError('ABORTED', 'WriteKeyValue', 'in progress');

describe('RetryPolicy', () => {
  it('retries UNAVAILABLE (quorum failures included) for safe operations and keyed writes', () => {
    const policy = new RetryPolicy({ attempts: 3 });
    const quorum = new QuorumError('ReadKeyValue', 'read quorum not reached: 1/2', 1, 2);
    expect(policy.shouldRetry(unavailable, 'safe', 1)).toBe(true);
    expect(policy.shouldRetry(quorum, 'safe', 2)).toBe(true);
    expect(policy.shouldRetry(unavailable, 'keyed-write', 1)).toBe(true);
    expect(policy.shouldRetry(unavailable, 'unsafe', 1)).toBe(false);
  });

  it('retries ABORTED only for a keyed write, where it means "still in progress"', () => {
    const policy = new RetryPolicy();
    expect(policy.shouldRetry(aborted, 'keyed-write', 1)).toBe(true);
    expect(policy.shouldRetry(aborted, 'safe', 1)).toBe(false);
  });

  it('never retries answers that would not change or bugs', () => {
    const policy = new RetryPolicy();
    for (const error of [
      new NotFoundError('NOT_FOUND', 'ReadKeyValue', 'no'),
      new InvalidArgumentError('INVALID_ARGUMENT', 'ReadKeyValue', 'bad'),
      new InternalError('INTERNAL', 'ReadKeyValue', 'bug'),
      new Error('not from the server'),
    ]) {
      expect(policy.shouldRetry(error, 'safe', 1)).toBe(false);
    }
  });

  it('stops at the last attempt', () => {
    const policy = new RetryPolicy({ attempts: 2 });
    expect(policy.shouldRetry(unavailable, 'safe', 1)).toBe(true);
    expect(policy.shouldRetry(unavailable, 'safe', 2)).toBe(false);
  });

  it('clamps attempts to 1..RETRY_ATTEMPTS_MAX', () => {
    expect(new RetryPolicy({ attempts: 0 }).attempts).toBe(1);
    expect(new RetryPolicy({ attempts: 1_000 }).attempts).toBe(RETRY_ATTEMPTS_MAX);
  });

  it('draws each wait below a ceiling that doubles from the base up to the cap', () => {
    const top = new RetryPolicy({ backoffBaseMs: 50, backoffMaxMs: 300 }, () => 0.999_999);
    expect([1, 2, 3, 4, 5].map((attempt) => top.backoffMs(attempt))).toEqual([
      49, 99, 199, 299, 299,
    ]);
    const bottom = new RetryPolicy({ backoffBaseMs: 50, backoffMaxMs: 300 }, () => 0);
    expect(bottom.backoffMs(4)).toBe(0);
  });
});
