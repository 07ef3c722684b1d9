// Runs a storage node as a real child process (the TypeScript sources through
// @swc-node/register), for tests that kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

const MAIN = path.resolve(__dirname, '../../src/main.ts');
const STARTUP_TIMEOUT_MS = 30_000;

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

export async function spawnNodeProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--require', '@swc-node/register', MAIN], {
    env: {
      ...process.env,
      PAIRDB_DATA_DIR: dataDir,
      PAIRDB_SERVER_HOST: '127.0.0.1',
      PAIRDB_SERVER_PORT: '0',
      PAIRDB_HTTP_HOST: '127.0.0.1',
      PAIRDB_HTTP_PORT: '0',
      PAIRDB_LOGGING_FORMAT: 'json',
      PAIRDB_STORAGE_SYNC_POLICY: 'always',
      PAIRDB_STORAGE_DISK_FREE_BYTES_MIN: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ports = await new Promise<{ grpcPort: number; httpPort: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node did not start: ${stderr}`)),
      STARTUP_TIMEOUT_MS,
    );
    // 'close' comes after the output streams ended, so the message has all of stderr.
    child.on('close', (code, signal) =>
      reject(new Error(`node exited (${signal ?? code}) before serving: ${stderr}`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const record = JSON.parse(line) as { msg?: string; grpcPort?: number; httpPort?: number };
        if (record.msg === 'storage node serving') {
          clearTimeout(timer);
          resolve({ grpcPort: record.grpcPort!, httpPort: record.httpPort! });
        }
      } catch {
        // not a log record
      }
    });
  });
  return { child, exited, ...ports };
}
