// Parsers for option and argument values: each refuses a bad value with a message naming it,
// which commander reports as a command-line error (exit 2).
import { InvalidArgumentError } from 'commander';
import type { Consistency } from '@pairdb/client';
import { CONSISTENCY_LEVELS } from './client-values';

/** docs/architecture.md#metadata: a tenant keeps 1 to 5 replicas of each key. */
export const REPLICATION_FACTOR_MIN = 1;
export const REPLICATION_FACTOR_MAX = 5;
export const PORT_MAX = 65_535;

export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    if (value < min || value > max) {
      throw new InvalidArgumentError(`must be from ${min} to ${max}`);
    }
    return value;
  };
}

export function replicationFactor(text: string): number {
  return integerIn(REPLICATION_FACTOR_MIN, REPLICATION_FACTOR_MAX)(text);
}

export function port(text: string): number {
  return integerIn(1, PORT_MAX)(text);
}

export function consistencyLevel(text: string): Consistency {
  const level = text.toLowerCase();
  if (!(CONSISTENCY_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`must be one of ${CONSISTENCY_LEVELS.join(', ')}`);
  }
  return level as Consistency;
}

/** host:port with a port in 1..65535; the host may be a name, IPv4 or [IPv6]. */
export function hostPort(text: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > PORT_MAX) {
    throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:50052');
  }
  return { host: match[1]!, port };
}
