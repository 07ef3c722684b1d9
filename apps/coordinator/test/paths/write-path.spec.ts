import { HybridLogicalClock, liveValues, readContext, VersionVector } from '@pairdb/vectorclock';
import { QuorumError } from '../../src/errors';
import { NodeHealth } from '../../src/replicas/node-health';
import { WritePath, type WriteCommand } from '../../src/paths/write-path';
import { FakeCluster } from './fake-cluster';

function setup(nodeIds = ['n1', 'n2', 'n3', 'n4']) {
  const cluster = new FakeCluster(nodeIds);
  const hints: Array<[string, string]> = [];
  let quorumFailures = 0;
  const path = new WritePath({
    actor: 'coord-1',
    clock: new HybridLogicalClock('coord-1'),
    placement: cluster,
    transport: cluster,
    health: new NodeHealth(),
    timeoutMs: 200,
    events: {
      onHintSent: (owner, standIn) => hints.push([owner, standIn]),
      onQuorumFailure: () => quorumFailures++,
    },
  });
  return { cluster, path, hints, quorumFailures: () => quorumFailures };
}

const command = (overrides: Partial<WriteCommand> = {}): WriteCommand => ({
  tenantId: 't',
  key: 'k',
  value: Buffer.from('v'),
  context: VersionVector.EMPTY,
  consistency: 'quorum',
  replicationFactor: 3,
  policy: 'lww',
  ...overrides,
});

async function settle(ms = 50) {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('write path', () => {
  it('writes to all three replicas and answers with the written version', async () => {
    const { cluster, path } = setup();
    const outcome = await path.write(command());
    expect(outcome.acknowledged).toBeGreaterThanOrEqual(2);
    await settle();
    for (const id of ['n1', 'n2', 'n3']) {
      const stored = cluster.node(id).data.get('t/k')!;
      expect(liveValues(stored).map((s) => Buffer.from(s.value).toString())).toEqual(['v']);
      expect(outcome.clock.entries()).toEqual(readContext(stored).entries());
    }
    expect(cluster.node('n4').data.size).toBe(0);
  });

  it('answers a QUORUM write at two acks while the third replica is still slow', async () => {
    // Fake timers: n3's reply waits on a timer that only fires when the test advances the
    // clock, so an answer before that can only come from n1 and n2.
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const { cluster, path } = setup();
      cluster.node('n3').delayMs = 150;
      let acknowledged: number | undefined;
      const written = path
        .write(command())
        .then((outcome) => (acknowledged = outcome.acknowledged));
      await new Promise((resolve) => setImmediate(resolve));
      expect(acknowledged).toBe(2);
      await written;
      expect(cluster.node('n3').received).toEqual(['write']);
      expect(cluster.node('n3').data.size).toBe(0);
      await jest.advanceTimersByTimeAsync(150);
      expect(cluster.node('n3').data.get('t/k')).toBeDefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('hints the write of a down replica to the first stand-in and still succeeds at QUORUM', async () => {
    const { cluster, path, hints } = setup();
    cluster.node('n2').mode = 'down';
    await path.write(command());
    await settle();
    expect(hints).toEqual([['n2', 'n4']]);
    expect(cluster.node('n4').hints).toHaveLength(1);
    expect(cluster.node('n4').hints[0]!.owner).toBe('n2');
    expect(cluster.node('n4').data.size).toBe(0);
  });

  it('fails ALL with one replica down, naming achieved/required, and still hints', async () => {
    const { cluster, path, hints, quorumFailures } = setup();
    cluster.node('n1').mode = 'down';
    const error = await path.write(command({ consistency: 'all' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuorumError);
    expect((error as QuorumError).achieved).toBe(2);
    expect((error as QuorumError).required).toBe(3);
    expect((error as Error).message).toContain('2/3');
    expect((error as Error).message).toContain('n1: connection refused');
    expect(quorumFailures()).toBe(1);
    await settle();
    expect(hints).toEqual([['n1', 'n4']]);
  });

  it('fails QUORUM with two replicas down and counts hints separately from acks', async () => {
    const { cluster, path } = setup();
    cluster.node('n1').mode = 'down';
    cluster.node('n2').mode = 'down';
    await expect(path.write(command())).rejects.toThrow('1/2');
  });

  it('succeeds at ONE with a single replica up', async () => {
    const { cluster, path } = setup(['n1', 'n2', 'n3']);
    cluster.node('n1').mode = 'down';
    cluster.node('n2').mode = 'down';
    const outcome = await path.write(command({ consistency: 'one' }));
    expect(outcome.acknowledged).toBe(1);
  });

  it('refuses a write when the ring holds fewer nodes than W', async () => {
    const { path } = setup(['n1']);
    await expect(path.write(command())).rejects.toThrow(
      /only 1 storage nodes for replication factor 3/,
    );
  });

  it('times out a hanging replica and hints it', async () => {
    const { cluster, path, hints } = setup();
    cluster.node('n3').mode = 'hang';
    await path.write(command());
    await settle(300);
    expect(hints).toEqual([['n3', 'n4']]);
  });

  it('gives each write a larger dot from the coordinator clock', async () => {
    const { path } = setup();
    const first = await path.write(command());
    const second = await path.write(command({ key: 'other' }));
    expect(second.clock.get('coord-1')).toBeGreaterThan(first.clock.get('coord-1'));
  });

  it('asks replicas for their clock only, not the stored values', async () => {
    const { cluster, path } = setup();
    await path.write(command());
    await path.write(command({ value: undefined }));
    expect(cluster.node('n1').replies.map((r) => [r.versions, r.clock.length])).toEqual([
      [undefined, 1],
      [undefined, 1],
    ]);
  });

  it('answers with the joined clock of replicas that still send whole version sets', async () => {
    const { cluster, path } = setup();
    for (const node of cluster.nodes) node.answersVersionSets = true;
    const first = await path.write(command({ policy: 'siblings' }));
    await settle();
    // A concurrent write from an empty context: every replica now holds two siblings.
    const second = await path.write(command({ policy: 'siblings', value: Buffer.from('w') }));
    expect(cluster.node('n1').replies[1]!.versions!.siblings).toHaveLength(2);
    expect(second.clock.get('coord-1')).toBeGreaterThan(first.clock.get('coord-1'));
    await settle();
    expect(second.clock.entries()).toEqual(
      readContext(cluster.node('n1').data.get('t/k')!).entries(),
    );
  });
});
