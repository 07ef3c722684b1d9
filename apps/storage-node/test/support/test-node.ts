// Starts an in-process storage node on 127.0.0.1 with ports of its own and a temp data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLogger } from '@pairdb/service-runtime';
import { storageNodeConfigSchema, type StorageNodeConfig } from '../../src/config';
import { StorageNode } from '../../src/node';

export interface TestNodeOptions {
  nodeId?: string;
  dataDir?: string;
  grpcPort?: number;
  overrides?: (config: StorageNodeConfig) => void;
}

export function tempDir(prefix = 'pairdb-node-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function startTestNode(options: TestNodeOptions = {}): Promise<StorageNode> {
  const config = storageNodeConfigSchema.parse({
    server: {
      node_id: options.nodeId ?? 'node-a',
      host: '127.0.0.1',
      port: options.grpcPort ?? 0,
      shutdown_timeout: '5s',
    },
    http: { host: '127.0.0.1', port: 0 },
    storage: {
      data_dir: options.dataDir ?? tempDir(),
      memtable_bytes_max: '1MiB',
      disk_free_bytes_min: 0,
    },
    hints: { delivery_interval: '100ms' },
    logging: { level: 'silent' },
  });
  options.overrides?.(config);
  return StorageNode.start(config, createLogger({ name: 'test', level: 'silent', format: 'json' }));
}
