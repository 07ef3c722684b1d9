import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerOptions {
  name: string;
  level?: string;
  /** `auto` (the default): pretty when stdout is a terminal, JSON otherwise. */
  format?: LogFormat;
}

export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? 'auto';
  const base = { name: options.name, level: options.level ?? 'info' };
  const usePretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!usePretty) return pino(base);
  return pino(base, pretty({ colorize: process.stdout.isTTY === true, sync: true }));
}

export type { Logger };
