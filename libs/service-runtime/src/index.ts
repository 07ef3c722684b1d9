// What every PairDB process needs to run as a service: configuration from YAML and PAIRDB_*
// environment variables, logging, the HTTP health/metrics endpoints and graceful shutdown.
export { ConfigError, envNameFor, loadConfig, ENV_PREFIX } from './config-loader';
export type { ConfigIssue, LoadConfigOptions } from './config-loader';
export { decimal, durationMs, flag, integer, sizeBytes, text } from './config-fields';
export { createLogger, type Logger, type LogFormat, type LoggerOptions } from './logger';
export {
  livenessRoute,
  metricsRoute,
  readinessRoute,
  startHttpServer,
  type HttpServerHandle,
  type Readiness,
  type RouteHandler,
} from './http-server';
export { installShutdownHandlers, type ShutdownOptions } from './shutdown';
export { registerProcessMetrics } from './process-metrics';
export { configFileFromArgs, runService, type ServiceDefinition } from './service-main';
export { EXIT_UNHANDLED_ERROR } from './process-failures';
