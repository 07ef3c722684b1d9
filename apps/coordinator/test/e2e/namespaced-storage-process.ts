// A storage-node process started inside a network namespace, listening on the namespace's
// address: the host (coordinator, other nodes, the test) reaches it only over the veth pair, so
// cutting that link partitions exactly this node. Otherwise it is the harness's StorageProcess.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { StorageProcess } from './cluster-harness';
import type { NetworkNamespace } from './network-namespace';

const STORAGE_MAIN = path.resolve(__dirname, '../../../storage-node/src/main.ts');
const START_TIMEOUT_MS = 30_000;
/** After SIGTERM, how long the node may drain before it is killed (it must not outlive a test). */
const STOP_GRACE_MS = 10_000;

export class NamespacedStorageProcess extends StorageProcess {
  constructor(
    nodeId: string,
    port: number,
    dataDir: string,
    readonly namespace: NetworkNamespace,
  ) {
    super(nodeId, port, dataDir);
  }

  override get address(): string {
    return `${this.namespace.address}:${this.port}`;
  }

  override async start(): Promise<void> {
    const [command, args] = this.namespace.commandInside(process.execPath, [
      '--require',
      '@swc-node/register',
      STORAGE_MAIN,
    ]);
    const child = spawn(command, args, {
      env: {
        ...process.env,
        PAIRDB_NODE_ID: this.nodeId,
        PAIRDB_DATA_DIR: this.dataDir,
        PAIRDB_SERVER_HOST: this.namespace.address,
        PAIRDB_SERVER_PORT: String(this.port),
        PAIRDB_HTTP_HOST: this.namespace.address,
        PAIRDB_HTTP_PORT: '0',
        PAIRDB_LOGGING_FORMAT: 'json',
        PAIRDB_STORAGE_DISK_FREE_BYTES_MIN: '0',
        PAIRDB_HINTS_DELIVERY_INTERVAL: '200ms',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', resolve));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${this.nodeId} did not start in ${this.namespace.name}: ${stderr}`)),
        START_TIMEOUT_MS,
      );
      void this.exited.then(() => reject(new Error(`${this.nodeId} exited: ${stderr}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('"storage node serving"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /** SIGTERM, then SIGKILL if the node has not exited within the grace period. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.kill('SIGTERM');
    clearTimeout(killer);
  }
}
