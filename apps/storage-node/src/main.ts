// Entry point of a storage node process: `storage-node [--config file.yaml]`; every setting can
// also come from PAIRDB_* environment variables (config.ts).
import { runService, type LogFormat } from '@pairdb/service-runtime';
import { loadStorageNodeConfig } from './config';
import { StorageNode } from './node';

runService({
  name: 'storage-node',
  loadConfig: (file) => loadStorageNodeConfig(file),
  logging: (config) => ({
    instance: config.server.node_id,
    level: config.logging.level,
    format: config.logging.format as LogFormat,
  }),
  shutdownTimeoutMs: (config) => config.server.shutdown_timeout,
  start: (config, logger) => StorageNode.start(config, logger),
});
