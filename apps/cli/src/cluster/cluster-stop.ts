// `pairdb cluster stop`: ends the local cluster running from a data dir, as Ctrl-C would, by
// sending SIGTERM to its supervisor (found in cluster.json). If the supervisor itself was
// killed outright (SIGKILL gives it no chance to stop its children), the processes it left
// are stopped directly.
import { readFileSync } from 'node:fs';
import { CommandError } from '../exit-codes';
import { isAlive, readState, removeState } from './cluster-state-file';
import { STOP_TIMEOUT_MS } from './local-cluster';

/** The supervisor's own stop may take STOP_TIMEOUT_MS; allow for it and a little more. */
const STOP_WAIT_MS = STOP_TIMEOUT_MS + 20_000;
const STOP_POLL_MS = 200;

/** What happened, for the command's output. */
export async function stopCluster(dataDir: string): Promise<string> {
  const state = readState(dataDir);
  if (state && isAlive(state.supervisorPid)) {
    process.kill(state.supervisorPid, 'SIGTERM');
    await waitUntilGone([state.supervisorPid]);
    return `stopped the cluster running from ${dataDir}`;
  }
  const leftovers = state
    ? [state.coordinator, ...state.nodes].filter(
        (child) => child.pid !== undefined && isAlive(child.pid) && isClusterProcess(child.pid),
      )
    : [];
  if (state) removeState(dataDir);
  if (leftovers.length === 0) return `no cluster running from ${dataDir}`;
  const pids = leftovers.map((child) => child.pid!);
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  await waitUntilGone(pids);
  return (
    `the supervisor (pid ${state!.supervisorPid}) was gone; stopped what it left running: ` +
    leftovers.map((child) => `${child.name} (pid ${child.pid})`).join(', ')
  );
}

/**
 * Guards against a pid reused by an unrelated process since cluster.json was written: a
 * cluster process runs one of the app bundles. Where /proc is missing, the pid is trusted.
 */
function isClusterProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('main.js');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !isProcMounted();
  }
}

function isProcMounted(): boolean {
  try {
    readFileSync('/proc/self/cmdline');
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + STOP_WAIT_MS;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) {
      throw new CommandError(
        `still running ${STOP_WAIT_MS} ms after SIGTERM: pid ${pids.filter(isAlive).join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
  }
}
