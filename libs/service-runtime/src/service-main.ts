// The entry point every PairDB server process shares: `--config FILE` (or PAIRDB_CONFIG),
// configuration errors reported by field with exit code 2, logging, start, graceful shutdown,
// and a logged, deliberate exit on an error nothing handled (process-failures.ts).
import { ConfigError } from './config-loader';
import { createLogger, type LogFormat, type Logger } from './logger';
import { installProcessFailureHandlers } from './process-failures';
import { installShutdownHandlers } from './shutdown';

/** A configuration value failed validation; the message names the field. */
export const EXIT_CONFIG_INVALID = 2;
/** Start-up failed (a port taken, a data dir locked, a database unreachable...). */
export const EXIT_START_FAILED = 1;

export interface ServiceDefinition<C> {
  /** Prefix of messages and of the logger name, e.g. `storage-node`. */
  name: string;
  loadConfig(file: string | undefined): C;
  /** Logger settings and instance name (node id) from the configuration. */
  logging(config: C): { instance: string; level: string; format: LogFormat };
  shutdownTimeoutMs(config: C): number;
  start(config: C, logger: Logger): Promise<{ stop(): Promise<void> }>;
}

export function configFileFromArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): string | undefined {
  const index = argv.indexOf('--config');
  if (index >= 0) return argv[index + 1];
  return env['PAIRDB_CONFIG'] || undefined;
}

export function runService<C>(service: ServiceDefinition<C>): void {
  let logger: Logger | undefined;
  installProcessFailureHandlers({ service: service.name, logger: () => logger });
  const run = async () => {
    let config: C;
    try {
      config = service.loadConfig(configFileFromArgs(process.argv.slice(2), process.env));
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(`${service.name}: ${error.message}`);
        process.exit(EXIT_CONFIG_INVALID);
      }
      throw error;
    }
    const logging = service.logging(config);
    const serviceLogger = createLogger({
      name: `${service.name}:${logging.instance}`,
      level: logging.level,
      format: logging.format,
    });
    logger = serviceLogger;
    const running = await service.start(config, serviceLogger);
    installShutdownHandlers({
      logger: serviceLogger,
      timeoutMs: service.shutdownTimeoutMs(config),
      stop: () => running.stop(),
    });
  };
  run().catch((error: Error) => {
    console.error(`${service.name}: failed to start: ${error.message}`);
    process.exit(EXIT_START_FAILED);
  });
}
