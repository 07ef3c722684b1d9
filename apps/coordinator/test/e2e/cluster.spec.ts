// End to end: an in-process coordinator over four real storage-node processes.
import { spawnSync } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import { HashRing, keyToken } from '@pairdb/hashring';
import { checkHealth, COORDINATOR_SERVICE_NAME, listServices } from '@pairdb/proto';
import { startCluster, StorageClient, type Cluster, failure, text } from './cluster-harness';
import { PublicProtoClient, type Fields } from './public-proto-client';

jest.setTimeout(120_000);

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('a cluster of one coordinator and four storage-node processes', () => {
  let cluster: Cluster;
  let ring: HashRing<{ nodeId: string }>;
  const replicasOf = (tenantId: string, key: string) =>
    ring
      .preferenceList(keyToken(tenantId, key), 3)
      .map((id) => cluster.nodes.find((n) => n.nodeId === id)!);

  beforeAll(async () => {
    cluster = await startCluster(4);
    ring = new HashRing(cluster.nodes.map((n) => ({ nodeId: n.nodeId })));
    await cluster.client.createTenant({ tenantId: 'app', replicationFactor: 3 });
    await cluster.client.createTenant({
      tenantId: 'sib',
      replicationFactor: 3,
      conflictResolution: 'siblings',
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('lists CoordinatorService through reflection and answers grpc.health.v1 SERVING', async () => {
    const address = `127.0.0.1:${cluster.coordinator.grpcPort}`;
    expect(await listServices(address)).toEqual(
      expect.arrayContaining([COORDINATOR_SERVICE_NAME, 'grpc.health.v1.Health']),
    );
    expect(await checkHealth(address, COORDINATOR_SERVICE_NAME)).toBe('SERVING');
    const ready = await fetch(`http://127.0.0.1:${cluster.coordinator.httpPort}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (
      await fetch(`http://127.0.0.1:${cluster.coordinator.metricsPort}/metrics`)
    ).text();
    for (const name of [
      'coordinator_requests_total',
      'coordinator_request_duration_seconds',
      'coordinator_cache_hits_total',
      'coordinator_cache_misses_total',
      'coordinator_conflicts_detected_total',
      'coordinator_repairs_triggered_total',
      'coordinator_quorum_failures_total',
    ]) {
      expect(metrics).toContain(name);
    }
    const promtool = spawnSync('promtool', ['check', 'metrics'], {
      input: metrics,
      encoding: 'utf8',
    });
    if (promtool.error && !process.env['CI']) {
      console.warn('promtool not installed (Debian package prometheus): metrics lint skipped');
    } else {
      expect(promtool.stdout + promtool.stderr).toBe('');
      expect(promtool.status).toBe(0);
    }
  });

  it('serves a client loaded from the public coordinator.proto, as other languages generate theirs', async () => {
    const client = new PublicProtoClient(`127.0.0.1:${cluster.coordinator.grpcPort}`);
    try {
      const first = await client.call('WriteKeyValue', {
        tenant_id: 'sib',
        key: 'wire',
        value: Buffer.from('red'),
        consistency: 'quorum',
      });
      expect(first).toMatchObject({ success: true, key: 'wire', is_duplicate: false });
      const clock = (first['vector_clock'] as { entries: Fields[] }).entries;
      expect(clock).toEqual([
        { coordinator_node_id: 'coord-e2e', logical_timestamp: expect.stringMatching(/^\d+$/) },
      ]);
      // A blind write with no context is concurrent with the first: two siblings.
      await client.call('WriteKeyValue', {
        tenant_id: 'sib',
        key: 'wire',
        value: Buffer.from('blue'),
      });
      const both = await client.call('ReadKeyValue', {
        tenant_id: 'sib',
        key: 'wire',
        consistency: 'all',
      });
      const siblings = both['siblings'] as { value: Buffer }[];
      expect(siblings.map((s) => s.value.toString()).sort()).toEqual(['blue', 'red']);
      // Writing with the read's clock as context resolves them, counters passed back as strings.
      await client.call('WriteKeyValue', {
        tenant_id: 'sib',
        key: 'wire',
        value: Buffer.from('purple'),
        context: both['vector_clock'],
      });
      const resolved = await client.call('ReadKeyValue', { tenant_id: 'sib', key: 'wire' });
      expect((resolved['value'] as Buffer).toString()).toBe('purple');
      expect(resolved['siblings']).toHaveLength(1);
      const deleted = await client.call('DeleteKeyValue', {
        tenant_id: 'sib',
        key: 'wire',
        context: resolved['vector_clock'],
      });
      expect(deleted).toMatchObject({ success: true, key: 'wire' });
      expect(
        (await failure(client.call('ReadKeyValue', { tenant_id: 'sib', key: 'wire' }))).code,
      ).toBe(status.NOT_FOUND);
      const bad = await failure(
        client.call('ReadKeyValue', { tenant_id: 'sib', key: 'wire', consistency: 'most' }),
      );
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.details).toContain('most');
      const tenant = await client.call('GetTenant', { tenant_id: 'sib' });
      expect(tenant['tenant']).toMatchObject({
        tenant_id: 'sib',
        replication_factor: 3,
        conflict_resolution: 'siblings',
        version: expect.stringMatching(/^\d+$/),
      });
    } finally {
      client.close();
    }
  });

  it('reads back a QUORUM write at RF 3, stored on exactly the three replicas', async () => {
    const written = await cluster.client.write({
      tenantId: 'app',
      key: 'alpha',
      value: Buffer.from('one'),
    });
    expect(written.success).toBe(true);
    expect(written.replicaCount).toBeGreaterThanOrEqual(2);
    const read = await cluster.client.read({ tenantId: 'app', key: 'alpha' });
    expect(text(read.value)).toBe('one');
    expect(read.vectorClock?.entries).toEqual([
      { coordinatorNodeId: 'coord-e2e', logicalTimestamp: expect.any(BigInt) },
    ]);
    const replicas = replicasOf('app', 'alpha');
    await eventually(async () => {
      const found = await Promise.all(
        cluster.nodes.map(async (node) => {
          const client = new StorageClient(node.address);
          const reply = await client.read('app', 'alpha');
          client.close();
          return reply.found;
        }),
      );
      return (
        found.filter(Boolean).length === 3 && replicas.every((r) => found[cluster.nodes.indexOf(r)])
      );
    });
  });

  it('with a replica killed: QUORUM works, ALL is UNAVAILABLE with 2/3, and the hint arrives after restart', async () => {
    const key = 'beta';
    const [, victim] = replicasOf('app', key);
    await victim!.kill('SIGKILL');
    const quorum = await cluster.client.write({
      tenantId: 'app',
      key,
      value: Buffer.from('while-down'),
    });
    expect(quorum.replicaCount).toBe(2);
    const all = await failure(
      cluster.client.write({
        tenantId: 'app',
        key: 'beta-all',
        value: Buffer.from('x'),
        consistency: 'all',
      }),
    );
    expect(all.code).toBe(status.UNAVAILABLE);
    expect(all.details).toContain('2/3');
    expect(text((await cluster.client.read({ tenantId: 'app', key })).value)).toBe('while-down');
    const metrics = await (
      await fetch(`http://127.0.0.1:${cluster.coordinator.metricsPort}/metrics`)
    ).text();
    expect(metrics).toMatch(/coordinator_hints_sent_total [1-9]/);
    expect(metrics).toMatch(/coordinator_exchange_batch_items_count [1-9]/);

    await victim!.start();
    const direct = new StorageClient(victim!.address);
    try {
      await eventually(async () => {
        const reply = await direct.read('app', key);
        return reply.found && reply.versions!.siblings.some((s) => text(s.value) === 'while-down');
      });
    } finally {
      direct.close();
    }
    // The coordinator reconnects to the restarted node by itself (its channel backs off at most
    // 5 s between attempts): ALL answers again, and the tests after this one start whole.
    await eventually(async () => {
      await cluster.client.read({ tenantId: 'app', key, consistency: 'all' });
      return true;
    });
  });

  it('read repair heals a replica made stale on purpose, from a read that found it behind', async () => {
    const key = 'gamma';
    await cluster.client.write({
      tenantId: 'app',
      key,
      value: Buffer.from('v1'),
      consistency: 'all',
    });
    const first = await cluster.client.read({ tenantId: 'app', key, consistency: 'all' });
    const [a, b, stale] = replicasOf('app', key);
    // v2 reaches two replicas directly; the third keeps v1.
    const context = first.vectorClock!.entries.map((e) => ({
      actor: e.coordinatorNodeId,
      counter: e.logicalTimestamp,
    }));
    const dot = { actor: 'manual', counter: context[0]!.counter + 1_000_000n };
    for (const node of [a!, b!]) {
      const client = new StorageClient(node.address);
      await client.write({
        tenantId: 'app',
        key,
        value: Buffer.from('v2'),
        context,
        dot,
        conflictPolicy: 1,
      });
      client.close();
    }
    const staleClient = new StorageClient(stale!.address);
    try {
      expect(
        (await staleClient.read('app', key)).versions!.siblings.map((s) => text(s.value)),
      ).toEqual(['v1']);
      const read = await cluster.client.read({ tenantId: 'app', key, consistency: 'all' });
      expect(text(read.value)).toBe('v2');
      await eventually(async () => {
        const reply = await staleClient.read('app', key);
        return reply.versions!.siblings.map((s) => text(s.value)).join() === 'v2';
      });
    } finally {
      staleClient.close();
    }
    const metrics = await (
      await fetch(`http://127.0.0.1:${cluster.coordinator.metricsPort}/metrics`)
    ).text();
    expect(metrics).toMatch(/coordinator_repairs_triggered_total [1-9]/);
  });

  it('under siblings, two writes from the same context become two siblings and a merged write resolves them', async () => {
    const key = 'delta';
    await cluster.client.write({
      tenantId: 'sib',
      key,
      value: Buffer.from('base'),
      consistency: 'all',
    });
    const base = await cluster.client.read({ tenantId: 'sib', key, consistency: 'all' });
    await Promise.all([
      cluster.client.write({
        tenantId: 'sib',
        key,
        value: Buffer.from('left'),
        context: base.vectorClock,
        consistency: 'all',
      }),
      cluster.client.write({
        tenantId: 'sib',
        key,
        value: Buffer.from('right'),
        context: base.vectorClock,
        consistency: 'all',
      }),
    ]);
    const both = await cluster.client.read({ tenantId: 'sib', key, consistency: 'all' });
    expect(both.siblings.map((s) => text(s.value)).sort()).toEqual(['left', 'right']);
    await cluster.client.write({
      tenantId: 'sib',
      key,
      value: Buffer.from('merged'),
      context: both.vectorClock,
      consistency: 'all',
    });
    const resolved = await cluster.client.read({ tenantId: 'sib', key, consistency: 'all' });
    expect(resolved.siblings.map((s) => text(s.value))).toEqual(['merged']);
    expect(text(resolved.value)).toBe('merged');
  });

  it('answers NOT_FOUND for a deleted key and for an unknown tenant, INVALID_ARGUMENT naming a bad field', async () => {
    const written = await cluster.client.write({
      tenantId: 'app',
      key: 'epsilon',
      value: Buffer.from('x'),
    });
    await cluster.client.delete({ tenantId: 'app', key: 'epsilon', context: written.vectorClock });
    expect((await failure(cluster.client.read({ tenantId: 'app', key: 'epsilon' }))).code).toBe(
      status.NOT_FOUND,
    );
    const unknown = await failure(cluster.client.read({ tenantId: 'nobody', key: 'k' }));
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toContain('nobody');
    const bad = await failure(
      cluster.client.write({ tenantId: 'app', key: '', value: Buffer.from('x') }),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details).toContain('key');
  });

  it('answers a retried write with the stored response and writes once', async () => {
    const request = {
      tenantId: 'app',
      key: 'zeta',
      value: Buffer.from('once'),
      idempotencyKey: 'req-1',
    };
    const [a, b] = await Promise.all([
      cluster.client.write(request),
      cluster.client.write(request),
    ]);
    expect([a.isDuplicate, b.isDuplicate].sort()).toEqual([false, true]);
    expect(b.vectorClock).toEqual(a.vectorClock);
    const reused = await failure(
      cluster.client.write({ ...request, value: Buffer.from('different') }),
    );
    expect(reused.code).toBe(status.INVALID_ARGUMENT);
    expect(reused.details).toContain('idempotency_key');
  });
});
