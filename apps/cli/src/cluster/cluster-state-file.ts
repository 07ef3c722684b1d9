// <dataDir>/cluster.json: which processes a running local cluster consists of, for
// `pairdb cluster stop`, for scripts, and to refuse a second cluster on the same data dir.
// Written (atomically: temp file, then rename) when the cluster is up and after a restart;
// removed when it stops.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const STATE_FILE_NAME = 'cluster.json';

export interface ProcessState {
  readonly name: string;
  readonly pid: number | undefined;
  readonly grpcAddress: string;
  readonly httpPort: number;
  readonly metricsPort?: number;
}

export interface ClusterState {
  readonly supervisorPid: number;
  readonly startedAtUnixMs: number;
  readonly dataDir: string;
  readonly coordinator: ProcessState;
  readonly nodes: readonly ProcessState[];
}

export function stateFilePath(dataDir: string): string {
  return path.join(dataDir, STATE_FILE_NAME);
}

export function writeState(state: ClusterState): void {
  const file = stateFilePath(state.dataDir);
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, file);
}

export function readState(dataDir: string): ClusterState | undefined {
  const file = stateFilePath(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  } catch {
    // A torn or hand-edited file says nothing reliable about running processes.
    return undefined;
  }
}

export function removeState(dataDir: string): void {
  rmSync(stateFilePath(dataDir), { force: true });
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
