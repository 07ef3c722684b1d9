// Consistency levels and how many replicas each needs (docs/architecture.md#what-pairdb-is).
import { InvalidArgumentError } from '../errors';

export type Consistency = 'one' | 'quorum' | 'all';

export const CONSISTENCY_LEVELS: readonly Consistency[] = ['one', 'quorum', 'all'];

/** Parses the wire value; empty means the configured default. Case-insensitive. */
export function parseConsistency(value: string, defaultLevel: Consistency): Consistency {
  if (value === '') return defaultLevel;
  const level = value.toLowerCase();
  if ((CONSISTENCY_LEVELS as readonly string[]).includes(level)) return level as Consistency;
  throw new InvalidArgumentError('consistency', value, 'must be one of "one", "quorum", "all"');
}

/** Replies needed out of `replicationFactor`: ONE=1, QUORUM=floor(N/2)+1, ALL=N. */
export function requiredReplies(level: Consistency, replicationFactor: number): number {
  switch (level) {
    case 'one':
      return 1;
    case 'quorum':
      return Math.floor(replicationFactor / 2) + 1;
    case 'all':
      return replicationFactor;
  }
}
