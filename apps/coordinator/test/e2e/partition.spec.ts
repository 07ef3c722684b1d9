// End to end: a storage node cut off by a network partition while QUORUM writes run, then
// healed. The node lives in its own network namespace behind a veth pair (network-namespace.ts);
// the partition drops every packet on that link, so requests to the node hang rather than fail.
//
// Needs root and iproute2. CI (CI set) must run it and fails when either is missing; elsewhere it
// is skipped with the reason printed.
import { Metadata, status } from '@grpc/grpc-js';
import { HashRing, keyToken } from '@pairdb/hashring';
import { coordinatorV1, storageV1 } from '@pairdb/proto';
import { StorageClient, failure, text } from './cluster-harness';
import { missingNamespacePrerequisites } from './network-namespace';
import { PartitionCluster } from './partition-cluster';
import { QuorumWriteLoad, type LoadedWrite } from './quorum-write-load';

jest.setTimeout(180_000);

const TENANT = 'partitioned';
const REPLICATION_FACTOR = 3;
const WRITE_TIMEOUT_MS = 2_000;
const READ_TIMEOUT_MS = 2_000;
/**
 * The ALL write's client deadline, four write timeouts: the coordinator must answer by its own
 * write timeout, so a DEADLINE_EXCEEDED here means it did not.
 */
const ALL_WRITE_DEADLINE_MS = 4 * WRITE_TIMEOUT_MS;
/** A direct request to the cut-off node must still be unanswered at this deadline. */
const PROBE_DEADLINE_MS = 500;
const WRITERS = 4;
const WRITES_PER_WRITER_MAX = 500;
/** Acknowledged writes before the cut: the load is running and reaches the node. */
const ACKNOWLEDGED_BEFORE_MIN = 20;
/** Acknowledged writes issued after the cut: QUORUM goes on without the node. */
const ACKNOWLEDGED_DURING_MIN = 40;
/** Bound on each wait for the load to make progress. */
const LOAD_WAIT_MS = 30_000;
/**
 * Bound on the waits after the heal. A node that failed a hint delivery is retried with backoff
 * and the stand-ins' gRPC channels reconnect with backoff too, so allow several rounds.
 */
const HEAL_WAIT_MS = 60_000;
/** Keys tried when looking for one the isolated node replicates (3 keys in 4 are). */
const KEY_SEARCH_MAX = 1_000;
/** Reads in flight at once when checking every acknowledged write. */
const READ_BATCH = 50;
const POLL_INTERVAL_MS = 200;

const missing = missingNamespacePrerequisites();
const mustRun = Boolean(process.env['CI']);
if (missing.length > 0 && !mustRun) {
  console.warn(`partition.spec.ts skipped: the network-partition test needs ${missing.join(', ')}`);
}
const describeWhenRunnable = missing.length > 0 && !mustRun ? describe.skip : describe;

/** Polls `check` until it returns nothing; throws what it last returned once `timeoutMs` passed. */
async function waitFor(check: () => Promise<string | undefined>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = await check();
    if (problem === undefined) return;
    if (Date.now() > deadline) throw new Error(`after ${timeoutMs} ms: ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += READ_BATCH) {
    results.push(...(await Promise.all(items.slice(start, start + READ_BATCH).map(fn))));
  }
  return results;
}

describeWhenRunnable('a storage node cut off by a network partition', () => {
  let cluster: PartitionCluster | undefined;
  let ring: HashRing;
  let keysTried = 0;

  /** A fresh key whose replicas include the isolated node. */
  const isolatedKey = (prefix: string): string => {
    for (let attempt = 0; attempt < KEY_SEARCH_MAX; attempt++) {
      const key = `${prefix}-${keysTried++}`;
      const replicas = ring.preferenceList(keyToken(TENANT, key), REPLICATION_FACTOR);
      if (replicas.includes(cluster!.isolated.nodeId)) return key;
    }
    throw new Error(`no key the isolated node replicates among ${KEY_SEARCH_MAX} tried`);
  };

  beforeAll(async () => {
    if (missing.length > 0) {
      throw new Error(
        `CI must run the network-partition test, but this machine lacks ${missing.join(', ')}`,
      );
    }
    cluster = await PartitionCluster.start({
      writeTimeoutMs: WRITE_TIMEOUT_MS,
      readTimeoutMs: READ_TIMEOUT_MS,
    });
    // The ring as the coordinator lists its members, to pick keys the isolated node replicates.
    const listed = await new Promise<coordinatorV1.ListStorageNodesResponse>((resolve, reject) =>
      cluster!.client!.raw.listStorageNodes({ includeHealth: false }, (error, reply) =>
        error ? reject(error) : resolve(reply),
      ),
    );
    ring = new HashRing(
      listed.nodes.map((node) => ({ nodeId: node.nodeId, virtualNodes: node.virtualNodes })),
    );
    await cluster.client!.createTenant({
      tenantId: TENANT,
      replicationFactor: REPLICATION_FACTOR,
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps QUORUM writing, answers ALL with UNAVAILABLE, hands the node its hints after the heal, and loses nothing acknowledged', async () => {
    const { client, isolated, namespace } = cluster!;
    const load = new QuorumWriteLoad({
      client: client!,
      tenantId: TENANT,
      nextKey: () => isolatedKey('load'),
      writers: WRITERS,
      writesPerWriterMax: WRITES_PER_WRITER_MAX,
    });
    load.start();
    try {
      await load.waitForAcknowledged('before-partition', ACKNOWLEDGED_BEFORE_MIN, LOAD_WAIT_MS);
      namespace.partition();
      load.phase = 'partitioned';

      // The cut is silent: the node neither answers nor refuses, the request just waits.
      const probe = await failure(readDirect(isolated.address, 'probe', PROBE_DEADLINE_MS));
      expect(probe.code).toBe(status.DEADLINE_EXCEEDED);

      const all = await failure(writeAll(client!.raw, isolatedKey('all'), ALL_WRITE_DEADLINE_MS));
      expect({ code: all.code, details: all.details }).toEqual({
        code: status.UNAVAILABLE,
        details: expect.stringContaining('2/3'),
      });

      await load.waitForAcknowledged('partitioned', ACKNOWLEDGED_DURING_MIN, LOAD_WAIT_MS);
    } finally {
      await load.stop();
    }
    expect(load.failed).toEqual([]);
    // The partition outlasted the write timeout, so the node's replica writes timed out: hints.
    expect(await cluster!.coordinatorCounter('coordinator_hints_sent_total')).toBeGreaterThan(0);

    namespace.heal();

    // Hints reach the node: each one the coordinator handed to a stand-in is delivered once the
    // link is back (requests still in flight at the heal may time out and add hints, so the
    // count is read again each time).
    await waitFor(async () => {
      const sent = await cluster!.coordinatorCounter('coordinator_hints_sent_total');
      const delivered = cluster!.hintsDeliveredToIsolated;
      return delivered >= sent
        ? undefined
        : `stand-ins delivered ${delivered} of ${sent} hints to ${isolated.nodeId}`;
    }, HEAL_WAIT_MS);

    // Every acknowledged write is then on the node's own storage, read directly from it. (Not
    // all of them came as hints: the blackhole kept the coordinator's connection open, and TCP
    // delivers the requests it was retransmitting once the link is back.)
    const direct = new StorageClient(isolated.address);
    try {
      let absent: readonly LoadedWrite[] = load.acknowledged;
      await waitFor(async () => {
        const held = await inBatches(absent, (write) => holds(direct, write));
        absent = absent.filter((_, k) => !held[k]);
        return absent.length === 0
          ? undefined
          : `${absent.length} acknowledged writes not on ${isolated.nodeId}, first ${absent[0]!.key}`;
      }, HEAL_WAIT_MS);
    } finally {
      direct.close();
    }
    // The coordinator's own connection to the node is back once an ALL read answers.
    const first = load.acknowledged[0]!;
    await waitFor(async () => {
      const answer = await readValue(client!, first.key, 'all');
      return answer === first.value ? undefined : `ALL read of ${first.key}: ${answer}`;
    }, HEAL_WAIT_MS);
    for (const consistency of ['quorum', 'all']) {
      const answers = await inBatches(load.acknowledged, async (write) => {
        const answer = await readValue(client!, write.key, consistency);
        return answer === write.value ? undefined : `${write.key}: ${answer}`;
      });
      expect({ consistency, wrong: answers.filter(Boolean) }).toEqual({ consistency, wrong: [] });
    }
  });
});

/** One read straight from a storage node, with its own deadline and a channel of its own. */
function readDirect(address: string, key: string, deadlineMs: number): Promise<unknown> {
  const storage = new StorageClient(address);
  return new Promise((resolve, reject) =>
    storage.raw.read(
      { tenantId: TENANT, key, ringVersion: 0n },
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, reply) => (error ? reject(error) : resolve(reply)),
    ),
  ).finally(() => storage.close());
}

function writeAll(
  client: coordinatorV1.CoordinatorServiceClient,
  key: string,
  deadlineMs: number,
): Promise<coordinatorV1.WriteKeyValueResponse> {
  const request = coordinatorV1.WriteKeyValueRequest.fromPartial({
    tenantId: TENANT,
    key,
    value: Buffer.from('written at ALL during the partition'),
    consistency: 'all',
  });
  return new Promise((resolve, reject) =>
    client.writeKeyValue(
      request,
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, reply) => (error ? reject(error) : resolve(reply)),
    ),
  );
}

/** Whether the node holds the write's value; a failed read counts as not yet. */
async function holds(storage: StorageClient, write: LoadedWrite): Promise<boolean> {
  try {
    const reply: storageV1.ReadResponse = await storage.read(TENANT, write.key);
    return reply.found && reply.versions!.siblings.some((s) => text(s.value) === write.value);
  } catch {
    return false;
  }
}

/** The value a read answers, or the error's message, to show in a failure. */
async function readValue(
  client: NonNullable<PartitionCluster['client']>,
  key: string,
  consistency: string,
): Promise<string> {
  try {
    return text((await client.read({ tenantId: TENANT, key, consistency })).value);
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}
