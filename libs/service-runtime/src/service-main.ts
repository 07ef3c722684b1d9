// The entry point every PairDB server process shares: `--config FILE` (or PAIRDB_CONFIG),
// configuration errors reported by field with exit code 2, logging, start, graceful shutdown.
import { ConfigError } from './config-loader';
import { createLogger, type LogFormat, type Logger } from './logger';
import { installShutdownHandlers } from './shutdown';

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
  const run = async () => {
    let config: C;
    try {
      config = service.loadConfig(configFileFromArgs(process.argv.slice(2), process.env));
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(`${service.name}: ${error.message}`);
        process.exit(2);
      }
      throw error;
    }
    const logging = service.logging(config);
    const logger = createLogger({
      name: `${service.name}:${logging.instance}`,
      level: logging.level,
      format: logging.format,
    });
    const running = await service.start(config, logger);
    installShutdownHandlers({
      logger,
      timeoutMs: service.shutdownTimeoutMs(config),
      stop: () => running.stop(),
    });
  };
  run().catch((error: Error) => {
    console.error(`${service.name}: failed to start: ${error.message}`);
    process.exit(1);
  });
}
