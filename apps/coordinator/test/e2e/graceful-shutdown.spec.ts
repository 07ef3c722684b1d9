// SIGTERM with requests in flight, for a real storage-node process and a real coordinator
// process: /readyz turns 503 at once, every request already taken finishes with its real answer,
// and the process exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { storageV1 } from '@pairdb/proto';
import { freePort } from '@pairdb/test-ports';
import { CoordinatorClient, StorageClient, text } from './cluster-harness';
import { coordinatorEnv, ServiceProcess, storageNodeEnv, waitFor } from './service-process';

jest.setTimeout(300_000);

/** A stop must not wait on a timer: set far beyond any drain, so only a hang reaches it. */
const SHUTDOWN_TIMEOUT = '10m';
/** Longer than the test: a write held by a stopped replica waits for it, not for a timeout. */
const WRITE_TIMEOUT = '10m';
const EXIT_TIMEOUT_MS = 60_000;
/** Scanned entries of 8 KiB: far more than the HTTP/2 windows, so an unread scan stays open. */
const SCAN_KEYS = 300;
const SCAN_VALUE_BYTES = 8 * 1024;
const BATCH = 40;

const readyzStatus = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/readyz`)).status;

async function outcome<T>(promise: Promise<T>): Promise<{ ok: T } | { error: ServiceError }> {
  try {
    return { ok: await promise };
  } catch (error) {
    return { error: error as ServiceError };
  }
}

describe('SIGTERM with requests in flight', () => {
  let root: string;
  const processes: ServiceProcess[] = [];

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'pairdb-sigterm-'));
  });

  afterAll(async () => {
    for (const started of processes) {
      started.signal('SIGCONT');
      await started.kill();
    }
    rmSync(root, { recursive: true, force: true });
  });

  async function storageNode(nodeId: string, port: number): Promise<ServiceProcess> {
    const started = await ServiceProcess.start('storage-node', {
      ...storageNodeEnv(nodeId, port, path.join(root, nodeId)),
      PAIRDB_SERVER_SHUTDOWN_TIMEOUT: SHUTDOWN_TIMEOUT,
    });
    processes.push(started);
    return started;
  }

  it('storage node: 503 first, an open scan and a batch of writes all answered, exit 0', async () => {
    const port = await freePort();
    const node = await storageNode('drain-node', port);
    const client = new StorageClient(`127.0.0.1:${port}`);
    try {
      const value = Buffer.alloc(SCAN_VALUE_BYTES, 0x61);
      for (let index = 0; index < SCAN_KEYS; index++) {
        await client.write({
          tenantId: 't',
          key: `scan-${index}`,
          value,
          dot: { actor: 'test', counter: BigInt(index + 1) },
          conflictPolicy: 1,
        });
      }
      // A scan the test does not read yet: the node cannot finish it, so it stays in flight.
      const scan = client.raw.scanRange(
        storageV1.ScanRangeRequest.fromPartial({ range: { start: 0n, end: 0n }, pageSize: 1 }),
      );
      const scanned: storageV1.ScannedVersion[] = [];
      const scanEnded = new Promise<void>((resolve, reject) => {
        scan.on('end', resolve);
        scan.on('error', reject);
      });
      // The first page proves the node is serving the scan; then the test stops reading.
      await new Promise<void>((resolve) =>
        scan.on('data', (page: storageV1.ScanRangeResponse) => {
          if (scanned.length === 0) {
            scan.pause();
            resolve();
          }
          scanned.push(...page.entries);
        }),
      );

      const writes = Array.from({ length: BATCH }, (_, index) =>
        outcome(
          client.write({
            tenantId: 't',
            key: `batch-${index}`,
            value: Buffer.from(`batch-${index}`),
            dot: { actor: 'test', counter: BigInt(SCAN_KEYS + index + 1) },
            conflictPolicy: 1,
          }),
        ),
      );
      await Promise.race(writes);
      node.signal('SIGTERM');
      await waitFor('/readyz answers 503', async () => (await readyzStatus(node.httpPort)) === 503);
      expect(node.running).toBe(true);

      const answers = await Promise.all(writes);
      scan.resume();
      await scanEnded;
      expect(scanned).toHaveLength(SCAN_KEYS);
      expect((await node.waitForExit(EXIT_TIMEOUT_MS)).code).toBe(0);

      // Each write was either applied or refused as the node stopped serving; none was cut.
      const acknowledged: string[] = [];
      answers.forEach((answer, index) => {
        if ('ok' in answer) acknowledged.push(`batch-${index}`);
        else
          expect({ index, code: status[answer.error.code] }).toEqual({
            index,
            code: 'UNAVAILABLE',
          });
      });
      expect(acknowledged.length).toBeGreaterThanOrEqual(1);
      await storageNode('drain-node', port);
      for (const key of acknowledged) {
        const reply = await client.read('t', key);
        expect({ key, values: reply.versions?.siblings.map((s) => text(s.value)) }).toEqual({
          key,
          values: [key],
        });
      }
    } finally {
      client.close();
    }
  });

  it('coordinator: 503 first, writes held by a SIGSTOPped replica answer success, exit 0', async () => {
    const nodes: { started: ServiceProcess; nodeId: string; port: number }[] = [];
    for (const nodeId of ['node-0', 'node-1', 'node-2']) {
      const port = await freePort();
      nodes.push({ started: await storageNode(nodeId, port), nodeId, port });
    }
    const coordinator = await ServiceProcess.start('coordinator', {
      ...coordinatorEnv('coord-drain', await freePort(), path.join(root, 'coord-drain')),
      PAIRDB_SERVER_SHUTDOWN_TIMEOUT: SHUTDOWN_TIMEOUT,
      PAIRDB_CONSISTENCY_WRITE_TIMEOUT: WRITE_TIMEOUT,
    });
    processes.push(coordinator);
    const client = new CoordinatorClient(`127.0.0.1:${coordinator.grpcPort}`);
    try {
      for (const node of nodes) {
        await client.addNode({ nodeId: node.nodeId, host: '127.0.0.1', port: node.port });
      }
      await client.createTenant({ tenantId: 'drain', replicationFactor: 3 });
      const held = nodes[1]!.started;
      held.signal('SIGSTOP');
      const writes = Array.from({ length: BATCH }, (_, index) =>
        outcome(
          client.write({
            tenantId: 'drain',
            key: `held-${index}`,
            value: Buffer.from(`held-${index}`),
            consistency: 'all',
          }),
        ),
      );
      // Sent after the held writes on the same connection: its answer means the coordinator
      // has taken them all.
      await client.write({ tenantId: 'drain', key: 'marker', value: Buffer.from('m') });

      coordinator.signal('SIGTERM');
      await waitFor(
        '/readyz answers 503',
        async () => (await readyzStatus(coordinator.httpPort)) === 503,
      );
      expect(coordinator.running).toBe(true);
      held.signal('SIGCONT');

      const answers = await Promise.all(writes);
      answers.forEach((answer, index) => {
        expect({ index, ok: 'ok' in answer && answer.ok.success }).toEqual({ index, ok: true });
      });
      expect((await coordinator.waitForExit(EXIT_TIMEOUT_MS)).code).toBe(0);
      for (const node of nodes) {
        const direct = new StorageClient(`127.0.0.1:${node.port}`);
        try {
          for (let index = 0; index < BATCH; index++) {
            const reply = await direct.read('drain', `held-${index}`);
            expect(reply.versions?.siblings.map((s) => text(s.value))).toEqual([`held-${index}`]);
          }
        } finally {
          direct.close();
        }
      }
    } finally {
      client.close();
    }
  });
});
