// <dataDir>/cluster.json: which processes a running local cluster consists of, for
// `pairdb cluster stop`, for scripts, and to refuse a second cluster on the same data dir; and
// where the supervisor's control channel listens (supervisor-control.ts), for
// `pairdb node add --start`. Written (atomically: temp file, then rename; readable by its owner
// only, as it holds the control token) when the cluster is up, after a restart and when a node
// is added or stopped; removed when it stops.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ControlEndpoint } from './supervisor-control';

export const STATE_FILE_NAME = 'cluster.json';
/** rw for the owner alone: the file holds the control channel's token. */
const OWNER_ONLY_MODE = 0o600;

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
  /** Absent in files written before the supervisor had a control channel. */
  readonly control?: ControlEndpoint;
}

export function stateFilePath(dataDir: string): string {
  return path.join(dataDir, STATE_FILE_NAME);
}

export function writeState(state: ClusterState): void {
  const file = stateFilePath(state.dataDir);
  const temporary = `${file}.tmp`;
  // A leftover temp file would keep its own mode; the mode applies only to a new file.
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: OWNER_ONLY_MODE });
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
