// Two real storage node processes: the holder parks a hint for a node that is then removed
// (its layout lists the target as inactive, outside the ring), and delivers it to the key's new
// owner, which then reads the hinted value back; the hint is gone from the holder.
import { HashRing, keyToken, type RingLayout } from '@pairdb/hashring';
import { freePort } from '@pairdb/test-ports';
import { ringLayoutToWire } from '@pairdb/wire-contract';
import { spawnNodeProcess, type NodeProcess } from '../support/node-process';
import { dot, TestStorageClient } from '../support/storage-client';
import { removeDir, tempDir } from '../support/test-node';

const VNODES = 16;
/** How long the holder gets to deliver (its delivery interval is 100 ms). */
const DELIVERY_TIMEOUT_MS = 20_000;

async function start(dir: string, nodeId: string, port: number): Promise<NodeProcess> {
  return spawnNodeProcess(dir, {
    PAIRDB_NODE_ID: nodeId,
    PAIRDB_SERVER_PORT: String(port),
    PAIRDB_HINTS_DELIVERY_INTERVAL: '100ms',
  });
}

async function stop(node: NodeProcess): Promise<void> {
  node.child.kill('SIGTERM');
  await node.exited;
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a hint for a removed node', () => {
  const holderDir = tempDir('pairdb-hint-holder-');
  const ownerDir = tempDir('pairdb-hint-owner-');
  let holder: NodeProcess;
  let owner: NodeProcess;
  afterAll(async () => {
    for (const node of [holder, owner]) if (node) await stop(node);
    removeDir(holderDir);
    removeDir(ownerDir);
  });

  it("is delivered to the key's new owner once the holder learns the removal", async () => {
    const holderPort = await freePort();
    const ownerPort = await freePort(new Set([holderPort]));
    // Nothing listens here: the removed node is gone for good.
    const gonePort = await freePort(new Set([holderPort, ownerPort]));
    holder = await start(holderDir, 'holder', holderPort);
    owner = await start(ownerDir, 'owner', ownerPort);
    const layout: RingLayout = {
      ringVersion: 3n,
      members: [
        {
          nodeId: 'holder',
          host: '127.0.0.1',
          port: holderPort,
          virtualNodes: VNODES,
          state: 'active',
        },
        {
          nodeId: 'owner',
          host: '127.0.0.1',
          port: ownerPort,
          virtualNodes: VNODES,
          state: 'active',
        },
        {
          nodeId: 'gone',
          host: '127.0.0.1',
          port: gonePort,
          virtualNodes: VNODES,
          state: 'inactive',
        },
      ],
      change: null,
      replicationFactors: new Map([['t', 1]]),
    };
    const ring = new HashRing([
      { nodeId: 'holder', virtualNodes: VNODES },
      { nodeId: 'owner', virtualNodes: VNODES },
    ]);
    let key = '';
    for (let index = 0; key === ''; index++) {
      if (ring.preferenceList(keyToken('t', `k${index}`), 1)[0] === 'owner') key = `k${index}`;
    }

    const holderClient = new TestStorageClient(`127.0.0.1:${holderPort}`);
    const ownerClient = new TestStorageClient(`127.0.0.1:${ownerPort}`);
    try {
      // Parked while `gone` was down; delivery to it keeps failing.
      await holderClient.write({
        tenantId: 't',
        key,
        value: Buffer.from('hinted'),
        dot: dot('c', 1),
        hintFor: { nodeId: 'gone', address: `127.0.0.1:${gonePort}` },
      });
      expect((await holderClient.healthCheck()).hintsPending).toBe(1n);
      expect((await ownerClient.read('t', key)).found).toBe(false);

      // The removal completes: both nodes learn the final layout.
      for (const client of [ownerClient, holderClient]) {
        await client.raiseRingVersion({ ringVersion: 3n, layout: ringLayoutToWire(layout) });
      }
      await eventually('the hint delivered', async () => {
        return (await holderClient.healthCheck()).hintsPending === 0n;
      });
      const read = await ownerClient.read('t', key, 3n);
      expect(read.found).toBe(true);
      expect(read.versions!.siblings.map((s) => Buffer.from(s.value).toString())).toEqual([
        'hinted',
      ]);
    } finally {
      holderClient.close();
      ownerClient.close();
    }
  });
});
