// The last line of defence of a service process: an error nothing handled (a promise rejected
// with no handler, an exception thrown from a callback) is logged with the service it ended,
// as a fatal entry with its stack, and the process exits with EXIT_UNHANDLED_ERROR on purpose.
// Node would end the process on an unhandled rejection anyway, printing only to stderr; the
// exit code tells a supervisor (Kubernetes, the CLI's local cluster) that the process died of a
// bug rather than being stopped, and the log entry says which bug.
import type { Logger } from 'pino';

/** EX_SOFTWARE from sysexits.h: an internal software error. */
export const EXIT_UNHANDLED_ERROR = 70;

export interface ProcessFailureOptions {
  /** The service name, e.g. `coordinator`. */
  service: string;
  /** The service's logger once it has one; before that, errors go to stderr. */
  logger: () => Logger | undefined;
  exit?: (code: number) => void;
}

export function installProcessFailureHandlers(options: ProcessFailureOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let failed = false;
  const fail = (event: 'unhandledRejection' | 'uncaughtException', error: unknown) => {
    // A second failure while the first is being reported must not report over it.
    if (failed) return;
    failed = true;
    const err = error instanceof Error ? error : new Error(`non-error thrown: ${String(error)}`);
    const logger = options.logger();
    if (logger) {
      logger.fatal(
        { err, event, service: options.service, exitCode: EXIT_UNHANDLED_ERROR },
        `${event}: ${err.message}`,
      );
      logger.flush?.();
    } else {
      console.error(`${options.service}: ${event}: ${err.stack ?? err.message}`);
    }
    exit(EXIT_UNHANDLED_ERROR);
  };
  process.on('unhandledRejection', (reason) => fail('unhandledRejection', reason));
  process.on('uncaughtException', (error) => fail('uncaughtException', error));
}
