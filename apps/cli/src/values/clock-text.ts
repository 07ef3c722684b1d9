// The text form of a vector clock on the command line. `pairdb get --json` prints
//   {"key": ..., "vectorClock": [{"actor": "coordinator-1", "counter": "1795316993125"}], ...}
// and `--context` takes either that whole object or just its vectorClock array, so
// `pairdb put T K V --context "$(pairdb get T K --json)"` resolves siblings. Counters are
// decimal strings (or integers below 2^53).
import type { ClockEntry, VectorClock } from '@pairdb/client';
import { UsageError } from '../exit-codes';

export function clockToText(clock: VectorClock): { actor: string; counter: string }[] {
  return clock.map((entry) => ({ actor: entry.actor, counter: entry.counter.toString() }));
}

export function parseClock(text: string): VectorClock {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--context is not JSON: ${(error as Error).message}`);
  }
  const entries = Array.isArray(parsed)
    ? parsed
    : (parsed as { vectorClock?: unknown } | null)?.vectorClock;
  if (!Array.isArray(entries)) {
    throw new UsageError('--context must be a vectorClock array or the output of get --json');
  }
  return entries.map(parseEntry);
}

function parseEntry(entry: unknown, index: number): ClockEntry {
  const { actor, counter } = (entry ?? {}) as { actor?: unknown; counter?: unknown };
  const integer =
    (typeof counter === 'string' && /^\d+$/.test(counter)) ||
    (typeof counter === 'number' && Number.isSafeInteger(counter) && counter >= 0);
  if (typeof actor !== 'string' || actor === '' || !integer) {
    throw new UsageError(
      `--context entry ${index} must be {"actor": "<node id>", "counter": "<integer>"} ` +
        `(got ${JSON.stringify(entry)})`,
    );
  }
  return { actor, counter: BigInt(counter as string | number) };
}
