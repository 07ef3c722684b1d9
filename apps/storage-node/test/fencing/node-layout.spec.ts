import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HashRing, keyToken, type LayoutMember, type RingLayout } from '@pairdb/hashring';
import { isNotAnOwnerRefusal } from '@pairdb/wire-contract';
import { NotAnOwnerError } from '../../src/fencing/errors';
import { readLayoutFile } from '../../src/fencing/layout-file';
import { NodeLayout } from '../../src/fencing/node-layout';
import { statusCodeOf } from '../../src/grpc/status';

const VNODES = 8;

function member(nodeId: string, state: LayoutMember['state']): LayoutMember {
  return { nodeId, host: '127.0.0.1', port: 7000, virtualNodes: VNODES, state };
}

/** a, b, c active and d joining (node_addition of d), tenant t at factor 1, under version 10. */
const addition: RingLayout = {
  ringVersion: 10n,
  members: [
    member('a', 'active'),
    member('b', 'active'),
    member('c', 'active'),
    member('d', 'joining'),
  ],
  change: {
    migrationId: 'm1',
    type: 'node_addition',
    nodeId: 'd',
    tenantId: null,
    fromReplicationFactor: null,
    toReplicationFactor: null,
    phase: 'data_copy',
  },
  replicationFactors: new Map([['t', 1]]),
};

const ring = (nodeIds: string[]) =>
  new HashRing(nodeIds.map((nodeId) => ({ nodeId, virtualNodes: VNODES })));
const oldRing = ring(['a', 'b', 'c']);
const newRing = ring(['a', 'b', 'c', 'd']);

/** Old and new primary of `key`, computed here with the rings alone. */
function primaries(key: string): [string, string] {
  const token = keyToken('t', key);
  return [oldRing.preferenceList(token, 1)[0]!, newRing.preferenceList(token, 1)[0]!];
}

/** The first key that `d` takes over, and the node it takes it from. */
function keyTakenByD(): { key: string; from: string } {
  for (let index = 0; ; index++) {
    const [from, to] = primaries(`k${index}`);
    if (to === 'd') return { key: `k${index}`, from };
  }
}

/** A key that stays on `a`. */
function keyStayingOnA(): string {
  for (let index = 0; ; index++) {
    const [from, to] = primaries(`k${index}`);
    if (from === 'a' && to === 'a') return `k${index}`;
  }
}

describe('NodeLayout ownership', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairdb-node-layout-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function layoutOf(nodeId: string, layout = addition): Promise<NodeLayout> {
    const node = NodeLayout.open(dir, nodeId);
    await node.adopt(layout);
    return node;
  }

  const write = (key: string, ringVersion = 10n) => ({ tenantId: 't', key, ringVersion });

  it('accepts a key the old set assigns it and the new one does not (it still leaves)', async () => {
    const { key, from } = keyTakenByD();
    const node = await layoutOf(from);
    expect(() => node.checkOwner(write(key), 10n)).not.toThrow();
  });

  it('accepts a key only the new set assigns it (it joins)', async () => {
    const node = await layoutOf('d');
    expect(() => node.checkOwner(write(keyTakenByD().key), 10n)).not.toThrow();
  });

  it('refuses a key neither set assigns it, naming node, tenant, key and version', async () => {
    const node = await layoutOf('d');
    const key = keyStayingOnA();
    let refusal: unknown;
    try {
      node.checkOwner(write(key), 10n);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(NotAnOwnerError);
    const message = (refusal as Error).message;
    for (const part of ['node d', 'tenant "t"', `key "${key}"`, 'ring version 10']) {
      expect(message).toContain(part);
    }
    expect(isNotAnOwnerRefusal(statusCodeOf(refusal), message)).toBe(true);
  });

  it('cannot judge, so accepts: a newer version, an unknown tenant, no layout, a stale layout', async () => {
    const key = keyStayingOnA();
    const node = await layoutOf('d');
    expect(() => node.checkOwner(write(key, 11n), 10n)).not.toThrow();
    expect(() => node.checkOwner({ ...write(key), tenantId: 'other' }, 10n)).not.toThrow();
    expect(() => node.checkOwner(write(key, 12n), 12n)).not.toThrow();
    const fresh = NodeLayout.open(fs.mkdtempSync(path.join(dir, 'fresh-')), 'd');
    expect(() => fresh.checkOwner(write(key), 10n)).not.toThrow();
  });

  it('accepts everything on a node the layout does not list (a node id it was not made for)', async () => {
    const node = await layoutOf('stranger');
    expect(() => node.checkOwner(write(keyStayingOnA()), 10n)).not.toThrow();
  });

  it('owners are old and new replicas together while the key moves', async () => {
    const { key, from } = keyTakenByD();
    const node = await layoutOf('b');
    const owners = node.ownersOf('t', key)!.map((m) => m.nodeId);
    expect(owners.sort()).toEqual([from, 'd'].sort());
    expect(node.ownersOf('unknown', 'k')).toBeUndefined();
  });

  it('in cleanup only the new set writes: the leaving owner refuses, owners are the new set', async () => {
    const { key, from } = keyTakenByD();
    const cleanup = { ...addition, change: { ...addition.change!, phase: 'cleanup' } };
    const leaving = await layoutOf(from, cleanup);
    expect(() => leaving.checkOwner(write(key), 10n)).toThrow(NotAnOwnerError);
    expect(leaving.ownersOf('t', key)!.map((m) => m.nodeId)).toEqual(['d']);
  });

  it('while rolling back only the old set writes: the destination refuses, owners are the old set', async () => {
    const { key, from } = keyTakenByD();
    const rollingBack = { ...addition, change: { ...addition.change!, phase: 'rolling_back' } };
    const destination = await layoutOf('d', rollingBack);
    expect(() => destination.checkOwner(write(key), 10n)).toThrow(NotAnOwnerError);
    expect(destination.ownersOf('t', key)!.map((m) => m.nodeId)).toEqual([from]);
  });

  it('keeps the newest layout, durably: an older one is not adopted, a restart reloads it', async () => {
    const node = await layoutOf('d');
    await node.adopt({ ...addition, ringVersion: 9n, change: null });
    expect(node.layout?.ringVersion).toBe(10n);
    expect(readLayoutFile(dir)?.ringVersion).toBe(10n);
    const reopened = NodeLayout.open(dir, 'd');
    expect(reopened.migrationRunning).toBe(true);
    expect(() => reopened.checkOwner(write(keyStayingOnA()), 10n)).toThrow(NotAnOwnerError);
  });

  it('a migration runs until a layout where nothing moves arrives', async () => {
    const node = NodeLayout.open(dir, 'd');
    expect(node.migrationRunning).toBe(false);
    await node.adopt(addition);
    expect(node.migrationRunning).toBe(true);
    await node.adopt({ ...addition, ringVersion: 11n, change: null });
    expect(node.migrationRunning).toBe(false);
    expect(NodeLayout.open(dir, 'd').migrationRunning).toBe(false);
  });
});
