// SIGTERM/SIGINT handling shared by every process: the first signal starts a graceful stop
// (stop accepting, drain, flush); a second signal or the timeout forces exit.
import type { Logger } from 'pino';

export interface ShutdownOptions {
  logger: Logger;
  /** Longest a graceful stop may take before the process exits anyway; default 30 s. */
  timeoutMs?: number;
  stop: () => Promise<void>;
  exit?: (code: number) => void;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

export function installShutdownHandlers(options: ShutdownOptions): () => Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): Promise<void> => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal during shutdown: exiting now');
      exit(1);
      return stopping;
    }
    options.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out: exiting');
      exit(1);
    }, options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    stopping = options.stop().then(
      () => {
        clearTimeout(timer);
        options.logger.info('stopped cleanly');
        options.logger.flush?.();
        exit(0);
      },
      (error: Error) => {
        clearTimeout(timer);
        options.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
    return stopping;
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return () => shutdown('request');
}
