// The CLI's side of the supervisor's control channel (supervisor-control.ts), and what the CLI
// reads of a running local cluster from cluster.json: whether the supervisor runs a given
// storage node, and when it has stopped one. Loads no gRPC and none of the supervisor.
import { request } from 'node:http';
import { CommandError } from '../exit-codes';
import { LOOPBACK_HOST } from './cluster-layout';
import { isAlive, readState, type ClusterState } from './cluster-state-file';
import {
  CONTROL_STORAGE_NODES_PATH,
  type ControlFailure,
  type StartedStorageNode,
  type StartStorageNodeRequest,
} from './supervisor-control';

/**
 * Starting a node waits for it to be ready, which the supervisor bounds by its --start-timeout
 * (at most an hour); this only stops a CLI from waiting on a supervisor that hung.
 */
const CONTROL_REQUEST_TIMEOUT_MS = 3_600_000;
/**
 * How long `node remove --watch` waits for the supervisor to stop a node that left the ring: it
 * notices within HEALTH_POLL_MS (2 s), and a node drains within STOP_TIMEOUT_MS (40 s).
 */
export const NODE_STOP_WAIT_MS = 60_000;
/** How often `waitUntilNodeStopped` looks at cluster.json. */
const STOP_POLL_MS = 250;

/** The running cluster of `dataDir`, or a failure that says how to start one. */
export function runningCluster(dataDir: string): ClusterState {
  const state = readState(dataDir);
  if (!state || !isAlive(state.supervisorPid)) {
    throw new CommandError(
      `no local cluster is running from ${dataDir}: start one with \`npm start\` ` +
        '(or `pairdb cluster start`), or name its --data-dir',
    );
  }
  return state;
}

/** Asks the supervisor of `dataDir` to start, register and supervise one more storage node. */
export async function startStorageNode(
  dataDir: string,
  body: StartStorageNodeRequest,
): Promise<StartedStorageNode> {
  const state = runningCluster(dataDir);
  if (!state.control) {
    throw new CommandError(
      `the cluster running from ${dataDir} (supervisor pid ${state.supervisorPid}) has no ` +
        'control channel: it was started by an older pairdb; restart it to add nodes this way',
    );
  }
  const { port, token } = state.control;
  const answer = await post(port, token, CONTROL_STORAGE_NODES_PATH, body);
  if (answer.statusCode !== 200) {
    const failure = (answer.body as { error?: ControlFailure }).error;
    throw new CommandError(
      failure?.message ?? `the supervisor answered HTTP ${answer.statusCode}`,
      failure?.exitCode,
    );
  }
  return answer.body as StartedStorageNode;
}

/** The pid of `nodeId` when the local cluster of `dataDir` runs it for this coordinator. */
export function localNodePid(
  dataDir: string,
  coordinatorAddress: string,
  nodeId: string,
): number | undefined {
  const state = readState(dataDir);
  if (!state || !isAlive(state.supervisorPid)) return undefined;
  if (state.coordinator.grpcAddress !== coordinatorAddress) return undefined;
  return state.nodes.find((node) => node.name === nodeId)?.pid;
}

/**
 * Resolves once the supervisor of `dataDir` no longer lists `nodeId` and its process `pid` has
 * exited; false if that has not happened within `timeoutMs`.
 */
export async function waitUntilNodeStopped(
  dataDir: string,
  nodeId: string,
  pid: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readState(dataDir);
    const listed = state?.nodes.some((node) => node.name === nodeId) ?? false;
    if (!listed && !isAlive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
  }
}

function post(
  port: number,
  token: string,
  path: string,
  body: unknown,
): Promise<{ statusCode: number; body: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: LOOPBACK_HOST,
        port,
        path,
        method: 'POST',
        agent: false,
        timeout: CONTROL_REQUEST_TIMEOUT_MS,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ statusCode: response.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            reject(new CommandError(`the supervisor answered something other than JSON: ${text}`));
          }
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer')));
    outgoing.on('error', (error) =>
      reject(
        new CommandError(
          `cannot reach the local cluster's supervisor at ${LOOPBACK_HOST}:${port}: ${error.message}`,
        ),
      ),
    );
    outgoing.end(payload);
  });
}
