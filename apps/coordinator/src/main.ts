// Entry point of a coordinator process: `coordinator [--config file.yaml]`; every setting can
// also come from PAIRDB_* environment variables (config.ts).
import { runService, type LogFormat } from '@pairdb/service-runtime';
import { loadCoordinatorConfig } from './config';
import { Coordinator } from './coordinator';

runService({
  name: 'coordinator',
  loadConfig: (file) => loadCoordinatorConfig(file),
  logging: (config) => ({
    instance: config.server.node_id,
    level: config.logging.level,
    // The seed's config.yaml says `console` for what pino calls pretty.
    format: (config.logging.format === 'console' ? 'pretty' : config.logging.format) as LogFormat,
  }),
  shutdownTimeoutMs: (config) => config.server.shutdown_timeout,
  start: (config, logger) => Coordinator.start(config, logger),
});
