// The supervisor's control channel over real HTTP on 127.0.0.1: `node add --start` reaches the
// handler through cluster.json's port and token, gets the handler's answer, and exits with the
// code the supervisor chose when it fails; a request without the token, a bad body, or a
// cluster that is not running never reaches the handler.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '@pairdb/test-ports';
import { writeState } from '../../src/cluster/cluster-state-file';
import {
  CONTROL_STORAGE_NODES_PATH,
  SupervisorControl,
  type StartedStorageNode,
  type StartStorageNodeRequest,
} from '../../src/cluster/supervisor-control';
import { startStorageNode } from '../../src/cluster/supervisor-control-client';
import { CommandError } from '../../src/exit-codes';

const STARTED: StartedStorageNode = {
  nodeId: 'node-3',
  pid: 4242,
  grpcAddress: '127.0.0.1:50055',
  httpPort: 9094,
  dataDir: '/data/node-3',
  logFile: '/data/logs/node-3.log',
  status: 'joining',
  virtualNodes: 150,
  migrationId: 'mig-1',
  coordinatorAddress: '127.0.0.1:50051',
};

/** A refusal the handler reports, with the exit code it maps to. */
class Refused extends Error {}

describe('supervisor control channel', () => {
  let dataDir: string;
  let control: SupervisorControl;
  const requests: StartStorageNodeRequest[] = [];
  let refuse = false;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'pairdb-control-'));
    control = await SupervisorControl.listen(
      {
        startStorageNode: async (body) => {
          requests.push(body);
          if (refuse) throw new Refused('a migration is running');
          return STARTED;
        },
        describeFailure: async (error) => ({
          message: `refused: ${(error as Error).message}`,
          exitCode: error instanceof Refused ? 9 : 1,
        }),
      },
      await freePort(),
    );
  });

  afterAll(async () => {
    await control?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    requests.length = 0;
    refuse = false;
    writeRunningState(dataDir, process.pid, control.endpoint);
  });

  it("answers the handler's node to a request that carries the token", async () => {
    expect(await startStorageNode(dataDir, { virtualNodes: 64 })).toEqual(STARTED);
    expect(requests).toEqual([{ virtualNodes: 64 }]);
  });

  it("ends a refused start with the supervisor's message and exit code", async () => {
    refuse = true;
    const failure = await startStorageNode(dataDir, {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CommandError);
    expect(failure).toMatchObject({
      message: 'refused: a migration is running',
      exitCode: 9,
    });
  });

  it('refuses a request without the right token before the handler runs', async () => {
    const answer = await post(control.endpoint.port, 'Bearer wrong', '{}');
    expect(answer.statusCode).toBe(401);
    expect(answer.body).toContain('missing or wrong control token');
    expect(requests).toEqual([]);
  });

  it('refuses a body that is not an object or a virtualNodes that is not whole, naming it', async () => {
    const auth = `Bearer ${control.endpoint.token}`;
    const notJson = await post(control.endpoint.port, auth, '{');
    expect(notJson).toMatchObject({ statusCode: 400 });
    expect(notJson.body).toContain('not JSON');
    const fraction = await post(control.endpoint.port, auth, '{"virtualNodes": 1.5}');
    expect(fraction).toMatchObject({ statusCode: 400 });
    expect(fraction.body).toContain('virtualNodes must be a whole number (got 1.5)');
    expect(requests).toEqual([]);
  });

  it('says no cluster runs when the supervisor pid in cluster.json is gone', async () => {
    writeRunningState(dataDir, 2 ** 22 + 1, control.endpoint);
    await expect(startStorageNode(dataDir, {})).rejects.toThrow(
      `no local cluster is running from ${dataDir}`,
    );
    expect(requests).toEqual([]);
  });
});

function writeRunningState(
  dataDir: string,
  supervisorPid: number,
  control: { port: number; token: string },
): void {
  writeState({
    supervisorPid,
    startedAtUnixMs: 1,
    dataDir,
    coordinator: { name: 'coordinator-1', pid: 1, grpcAddress: '127.0.0.1:50051', httpPort: 8080 },
    nodes: [],
    control,
  });
}

function post(
  port: number,
  authorization: string,
  body: string,
): Promise<{ statusCode: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path: CONTROL_STORAGE_NODES_PATH,
        method: 'POST',
        agent: false,
        headers: { authorization },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body: text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
