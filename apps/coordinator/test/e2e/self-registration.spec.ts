// Storage nodes that register themselves (docs/architecture.md#deployment), as real processes:
// a node started before any coordinator keeps trying until one answers; a node that joins a
// cluster holding data starts a node_addition; a restarted node is answered as already
// registered and starts no second migration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PairDBClient } from '@pairdb/client';
import { freePort } from '@pairdb/test-ports';
import {
  coordinatorEnv,
  PROCESS_START_TIMEOUT_MS,
  ServiceProcess,
  storageNodeEnv,
  waitFor,
} from './service-process';

jest.setTimeout(6 * PROCESS_START_TIMEOUT_MS);

describe('storage nodes registering themselves through a coordinator', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'pairdb-self-registration-'));
  const processes: ServiceProcess[] = [];
  let coordinatorPort: number;
  let client: PairDBClient;

  async function storageNode(nodeId: string, port: number): Promise<ServiceProcess> {
    const started = await ServiceProcess.start('storage-node', {
      ...storageNodeEnv(nodeId, port, path.join(root, nodeId)),
      PAIRDB_REGISTRATION_COORDINATOR_ADDRESS: `127.0.0.1:${coordinatorPort}`,
      PAIRDB_REGISTRATION_ADVERTISE_HOST: '127.0.0.1',
      PAIRDB_REGISTRATION_BACKOFF_INITIAL: '100ms',
      PAIRDB_REGISTRATION_BACKOFF_MAX: '1s',
    });
    processes.push(started);
    return started;
  }

  const registered = (node: ServiceProcess) =>
    node.waitForLog(
      (line) =>
        String(line.msg).startsWith('registered') ||
        String(line.msg).startsWith('already registered'),
      PROCESS_START_TIMEOUT_MS,
    );

  async function ready(node: ServiceProcess): Promise<boolean> {
    const response = await fetch(`http://127.0.0.1:${node.httpPort}/readyz`);
    return response.status === 200;
  }

  beforeAll(async () => {
    coordinatorPort = await freePort();
    client = new PairDBClient({ address: `127.0.0.1:${coordinatorPort}` });
  });

  afterAll(async () => {
    client.close();
    for (const started of processes) await started.kill();
    rmSync(root, { recursive: true, force: true });
  });

  it('a node started before the coordinator retries, is unready, then registers once it answers', async () => {
    const first = await storageNode('node-a', await freePort());
    await first.waitForLog((line) => line.msg === 'registration failed; trying again', 30_000);
    expect(await ready(first)).toBe(false);
    const coordinator = await ServiceProcess.start(
      'coordinator',
      coordinatorEnv('coord-reg', coordinatorPort, path.join(root, 'coordinator')),
    );
    processes.push(coordinator);
    // No tenant yet: no data to move, the node is active at once.
    expect((await registered(first)).msg).toBe('registered (no data to move)');
    await waitFor('node-a ready', () => ready(first));
    expect(await client.listStorageNodes()).toEqual([
      expect.objectContaining({ nodeId: 'node-a', host: '127.0.0.1', port: first.grpcPort }),
    ]);
  });

  it('a node joining a cluster with data starts one migration; restarting it starts none', async () => {
    await client.createTenant('shop', { replicationFactor: 1 });
    await client.put('shop', 'cart', Buffer.from('apples'));
    const port = await freePort();
    const joining = await storageNode('node-b', port);
    const joined = await registered(joining);
    expect(joined.msg).toMatch(/^registered: migration mig-/);
    const migrations = await client.listMigrations();
    expect(migrations.map((m) => [m.type, m.nodeId])).toEqual([['node_addition', 'node-b']]);

    joining.signal('SIGTERM');
    expect((await joining.waitForExit(PROCESS_START_TIMEOUT_MS)).code).toBe(0);
    const restarted = await storageNode('node-b', port);
    expect((await registered(restarted)).msg).toBe(
      'already registered at this address: nothing changed',
    );
    expect((await client.listMigrations()).map((m) => m.migrationId)).toEqual(
      migrations.map((m) => m.migrationId),
    );
    expect((await client.listStorageNodes()).map((n) => [n.nodeId, n.port])).toEqual([
      ['node-a', processes[0]!.grpcPort],
      ['node-b', port],
    ]);
  });
});
