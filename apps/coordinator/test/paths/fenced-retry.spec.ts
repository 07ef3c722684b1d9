// A quorum lost to a fenced replica is retried once after a ring reload; nothing else is.
import { QuorumError } from '../../src/errors';
import { retryOnceIfFenced } from '../../src/paths/fenced-retry';
import { ReplicaFailure } from '../../src/replicas/replica-failure';

const fenced = () =>
  new QuorumError('write', 1, 2, [new ReplicaFailure('n1', 'fenced', 'ring version 3 < 4')]);
const unreachable = () =>
  new QuorumError('write', 1, 2, [new ReplicaFailure('n1', 'unreachable', 'refused')]);

function scripted(outcomes: Array<Error | string>) {
  let calls = 0;
  const attempt = async () => {
    const outcome = outcomes[calls++]!;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { attempt, calls: () => calls };
}

describe('retryOnceIfFenced', () => {
  it('reloads the ring and answers the second attempt after a fenced replica', async () => {
    const { attempt, calls } = scripted([fenced(), 'ok']);
    let reloads = 0;
    await expect(retryOnceIfFenced(attempt, async () => void reloads++)).resolves.toBe('ok');
    expect([calls(), reloads]).toEqual([2, 1]);
  });

  it('answers the second refusal, without a third attempt', async () => {
    const second = fenced();
    const { attempt, calls } = scripted([fenced(), second, 'never']);
    await expect(retryOnceIfFenced(attempt, async () => undefined)).rejects.toBe(second);
    expect(calls()).toBe(2);
  });

  it('does not retry a quorum lost for any other reason, or without a way to reload', async () => {
    const failed = unreachable();
    const other = scripted([failed, 'never']);
    await expect(retryOnceIfFenced(other.attempt, async () => undefined)).rejects.toBe(failed);
    expect(other.calls()).toBe(1);
    const first = fenced();
    const noReload = scripted([first, 'never']);
    await expect(retryOnceIfFenced(noReload.attempt, undefined)).rejects.toBe(first);
    expect(noReload.calls()).toBe(1);
  });
});
