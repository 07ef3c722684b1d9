// What the membership end-to-end tests run and check around a migration: a QUORUM writer and
// reader that remember every acknowledged value, waiting for a migration to finish, and the
// checks afterwards (every acknowledged key reads back at least its acknowledged value; every key
// is stored on exactly its preference list, read from each node by ScanRange).
import { status } from '@grpc/grpc-js';
import { HashRing, keyToken } from '@pairdb/hashring';
import { coordinatorV1, storageV1 } from '@pairdb/proto';
import { StorageClient, text, type CoordinatorClient } from './cluster-harness';

const WHOLE_RING = { start: 0n, end: 0n };
/** A ring version above any test reaches: an inspection passes every node's fence. */
export const INSPECTION_RING_VERSION = 1n << 40n;
/** Pause after a failed request, so a loop against a dead coordinator does not spin. */
const FAILURE_BACKOFF_MS = 50;
/** Writes in flight at once while filling a tenant. */
const FILL_WRITES_IN_FLIGHT = 64;
/** Attempts of one fill write at ALL before the fill fails. */
const FILL_ATTEMPTS_MAX = 5;
/** Reads in flight at once while checking every acknowledged key. */
const CHECK_READS_IN_FLIGHT = 32;
/** How often a migration's status is polled. */
const STATUS_POLL_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A storage node as the checks see it. */
export interface StorageNodeAddress {
  readonly nodeId: string;
  readonly address: string;
  /** Its virtual nodes on the ring; default the ring's default. */
  readonly virtualNodes?: number;
}

/** Writes and reads at QUORUM while a change runs; remembers every acknowledged value. */
export class Load {
  /** key -> the highest sequence number acknowledged. */
  readonly acknowledged = new Map<string, number>();
  readonly problems: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private sequence = 0;
  writes = 0;
  reads = 0;

  /** `keySpace`: how many of the filled keys the writers overwrite. */
  constructor(
    readonly client: CoordinatorClient,
    readonly tenantId: string,
    private readonly prefix: string,
    private readonly keySpace: number,
  ) {}

  /**
   * Writes `count` keys at ALL, each retried until every replica has it: a QUORUM write that one
   * replica missed has no stand-in to hint on a ring of N nodes, and would stay off that replica
   * until read repair, which the exact placement check would count against the migration.
   */
  async fill(count: number): Promise<void> {
    const keys = Array.from({ length: count }, (_, i) => `${this.prefix}-${i}`);
    for (let i = 0; i < keys.length; i += FILL_WRITES_IN_FLIGHT) {
      await Promise.all(
        keys.slice(i, i + FILL_WRITES_IN_FLIGHT).map((key) => this.writeToAll(key)),
      );
    }
  }

  private async writeToAll(key: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write(key, 'all');
      } catch (error) {
        if (attempt >= FILL_ATTEMPTS_MAX) throw error;
        await sleep(FAILURE_BACKOFF_MS);
      }
    }
  }

  start(): void {
    this.running = true;
    this.loops = [this.writer(), this.writer(), this.reader(), this.reader()];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async write(key: string, consistency = 'quorum'): Promise<void> {
    const seq = ++this.sequence;
    await this.client.write({
      tenantId: this.tenantId,
      key,
      value: Buffer.from(`${seq}`),
      consistency,
    });
    this.writes++;
    if ((this.acknowledged.get(key) ?? 0) < seq) this.acknowledged.set(key, seq);
  }

  private async writer(): Promise<void> {
    let fresh = 0;
    while (this.running) {
      // Half overwrites of existing keys, half new keys.
      const key =
        fresh % 2 === 0
          ? `${this.prefix}-${Math.floor(Math.random() * this.keySpace)}`
          : `${this.prefix}-new-${fresh}`;
      fresh++;
      await this.write(key).catch(() => sleep(FAILURE_BACKOFF_MS));
    }
  }

  private async reader(): Promise<void> {
    while (this.running) {
      const all = [...this.acknowledged.keys()];
      const key = all[Math.floor(Math.random() * all.length)]!;
      const floor = this.acknowledged.get(key)!;
      try {
        const reply = await this.client.read({
          tenantId: this.tenantId,
          key,
          consistency: 'quorum',
        });
        this.reads++;
        const seen = Number(text(reply.value));
        if (seen < floor) this.problems.push(`${key}: read ${seen}, acknowledged ${floor}`);
      } catch (error) {
        const code = (error as { code?: number }).code;
        if (code === status.NOT_FOUND)
          this.problems.push(`${key}: NOT_FOUND, acknowledged ${floor}`);
        await sleep(FAILURE_BACKOFF_MS);
      }
    }
  }
}

/** The share of a delete-heavy load's operations that are deletes. */
const DELETE_SHARE = 0.7;

/**
 * Deletes and writes at QUORUM, mostly deletes, each loop on keys of its own through one
 * coordinator, so a key's last acknowledged operation (stamped after every earlier one by that
 * coordinator's clock) is its state. A key whose last operation failed may or may not have been
 * applied: it is left out of the checks until a later operation on it is acknowledged.
 */
export class DeleteHeavyLoad {
  /** key -> its last acknowledged value, or null when that was a delete. */
  readonly state = new Map<string, string | null>();
  readonly uncertain = new Set<string>();
  deletes = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private sequence = 0;

  constructor(
    readonly client: CoordinatorClient,
    readonly tenantId: string,
    private readonly prefix: string,
    private readonly keysPerLoop: number,
    private readonly loopCount: number,
  ) {}

  private key(loop: number, index: number): string {
    return `${this.prefix}-${loop}-${index}`;
  }

  async fill(): Promise<void> {
    for (let loop = 0; loop < this.loopCount; loop++) {
      const keys = Array.from({ length: this.keysPerLoop }, (_, i) => this.key(loop, i));
      await Promise.all(keys.map((key) => this.apply(key, false)));
    }
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.loopCount }, (_, loop) => this.run(loop));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Keys whose last acknowledged operation was a delete. */
  deletedKeys(): string[] {
    return [...this.state]
      .filter(([key, value]) => value === null && !this.uncertain.has(key))
      .map(([key]) => key);
  }

  private async run(loop: number): Promise<void> {
    while (this.running) {
      const key = this.key(loop, Math.floor(Math.random() * this.keysPerLoop));
      await this.apply(key, Math.random() < DELETE_SHARE).catch(() => sleep(FAILURE_BACKOFF_MS));
    }
  }

  private async apply(key: string, remove: boolean): Promise<void> {
    const value = `${this.prefix}:${++this.sequence}`;
    try {
      if (remove) await this.client.delete({ tenantId: this.tenantId, key, consistency: 'quorum' });
      else {
        await this.client.write({
          tenantId: this.tenantId,
          key,
          value: Buffer.from(value),
          consistency: 'quorum',
        });
      }
    } catch (error) {
      this.uncertain.add(key);
      throw error;
    }
    this.uncertain.delete(key);
    this.state.set(key, remove ? null : value);
    if (remove) this.deletes++;
  }
}

/** Checks every key of the load reads back as its last acknowledged operation left it. */
export async function expectDeletesHeld(load: DeleteHeavyLoad): Promise<void> {
  const wrong: string[] = [];
  const entries = [...load.state].filter(([key]) => !load.uncertain.has(key));
  for (let i = 0; i < entries.length; i += CHECK_READS_IN_FLIGHT) {
    await Promise.all(
      entries.slice(i, i + CHECK_READS_IN_FLIGHT).map(async ([key, value]) => {
        const seen = await readState(load.client, load.tenantId, key).catch(
          (error: Error) => `failed: ${error.message}`,
        );
        if (seen !== value) wrong.push(`${key}: read ${seen}, last acknowledged ${value}`);
      }),
    );
  }
  expect(wrong.slice(0, 10)).toEqual([]);
}

/** A key's value at QUORUM, null when NOT_FOUND; other failures throw. */
export async function readState(
  client: CoordinatorClient,
  tenantId: string,
  key: string,
): Promise<string | null> {
  try {
    return text((await client.read({ tenantId, key, consistency: 'quorum' })).value);
  } catch (error) {
    if ((error as { code?: number }).code === status.NOT_FOUND) return null;
    throw error;
  }
}

/** Polls the migration's status until it is no longer in progress. */
export async function waitForMigration(
  client: CoordinatorClient,
  migrationId: string,
  timeoutMs: number,
): Promise<coordinatorV1.Migration> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const migration = await client
      .migration(migrationId)
      .then((reply) => reply.migration!)
      .catch(() => undefined);
    if (migration && migration.status !== 'in_progress') return migration;
    if (Date.now() > deadline) {
      throw new Error(`migration ${migrationId} still ${migration?.phase ?? 'unknown'}`);
    }
    await sleep(STATUS_POLL_MS);
  }
}

/** One GetMigrationStatus answer, as sampled. */
export interface MigrationSample {
  readonly phase: string;
  readonly status: string;
  readonly keysMigrated: number;
}

/**
 * Samples a migration's status until stopped, so a test can say how progress moved throughout.
 * Each poll asks every coordinator and keeps the first answer, so a killed or frozen one does not
 * stop the sampling; a poll starts only after the previous one was answered, so the samples are
 * in the order of the metadata store's reads.
 */
export class MigrationSampler {
  readonly samples: MigrationSample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly clients: readonly CoordinatorClient[],
    private readonly migrationId: string,
  ) {
    this.loop = this.poll();
  }

  get latest(): MigrationSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** Waits until a sample satisfies `check`; fails naming `what` and the last sample. */
  async until(
    what: string,
    check: (sample: MigrationSample) => boolean,
    timeoutMs: number,
  ): Promise<MigrationSample> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const latest = this.latest;
      if (latest && check(latest)) return latest;
      if (Date.now() > deadline) {
        throw new Error(`${what}: not within ${timeoutMs} ms; last ${JSON.stringify(latest)}`);
      }
      await sleep(STATUS_POLL_MS);
    }
  }

  async stop(): Promise<MigrationSample[]> {
    this.running = false;
    await this.loop;
    return this.samples;
  }

  private async poll(): Promise<void> {
    while (this.running) {
      const migration = await Promise.any(
        this.clients.map((client) =>
          client.migration(this.migrationId).then((reply) => reply.migration!),
        ),
      ).catch(() => undefined);
      if (migration) {
        this.samples.push({
          phase: migration.phase,
          status: migration.status,
          keysMigrated: Number(migration.keysMigrated),
        });
        if (migration.status !== 'in_progress') return;
      }
      await sleep(STATUS_POLL_MS);
    }
  }
}

/** Every key of the tenant each node stores, by node id. */
export async function storedKeys(
  nodes: readonly StorageNodeAddress[],
  tenantId: string,
): Promise<Map<string, Set<string>>> {
  const byNode = await storedVersionSets(nodes, tenantId);
  return new Map([...byNode].map(([nodeId, sets]) => [nodeId, new Set(sets.keys())]));
}

/**
 * Every key of the tenant each node stores with its version set as text (versionSetText), by
 * node id, read by ScanRange: two replicas hold the same versions of a key when the texts match.
 */
export async function storedVersionSets(
  nodes: readonly StorageNodeAddress[],
  tenantId: string,
): Promise<Map<string, Map<string, string>>> {
  const byNode = new Map<string, Map<string, string>>();
  for (const node of nodes) {
    const sets = new Map<string, string>();
    for await (const page of scanWholeRing(node.address, tenantId)) {
      for (const entry of page) sets.set(entry.key, versionSetText(entry.versions));
    }
    byNode.set(node.nodeId, sets);
  }
  return byNode;
}

/**
 * A version set as text independent of the order a node lists its context entries and siblings
 * in: the context sorted by actor, the siblings by dot, each sibling with its value and
 * tombstone flag.
 */
export function versionSetText(versions: storageV1.VersionSet | undefined): string {
  const context = (versions?.context ?? [])
    .map((entry) => `${entry.actor}:${entry.counter}`)
    .sort();
  const siblings = (versions?.siblings ?? [])
    .map(
      (sibling) =>
        `${sibling.dot?.actor}:${sibling.dot?.counter}` +
        `${sibling.tombstone ? ' tombstone' : ''} ${Buffer.from(sibling.value).toString('hex')}`,
    )
    .sort();
  return `[${context.join(',')}] {${siblings.join(',')}}`;
}

/** Checks each key is on exactly its preference list in a ring of `members`. */
export async function expectPlacedExactly(
  members: readonly StorageNodeAddress[],
  tenantId: string,
  replicationFactor: number,
  keys: Iterable<string>,
): Promise<void> {
  const ring = new HashRing(
    members.map((node) => ({ nodeId: node.nodeId, virtualNodes: node.virtualNodes })),
  );
  const stored = await storedKeys(members, tenantId);
  const misplaced: string[] = [];
  for (const key of keys) {
    const owners = ring.preferenceList(keyToken(tenantId, key), replicationFactor);
    for (const node of members) {
      const holds = stored.get(node.nodeId)!.has(key);
      if (holds !== owners.includes(node.nodeId)) misplaced.push(`${key}@${node.nodeId}:${holds}`);
    }
  }
  expect(misplaced.slice(0, 10)).toEqual([]);
}

/** Checks every acknowledged key reads back at QUORUM with at least its acknowledged value. */
export async function expectAllReadable(load: Load): Promise<void> {
  const wrong: string[] = [];
  const entries = [...load.acknowledged];
  for (let i = 0; i < entries.length; i += CHECK_READS_IN_FLIGHT) {
    await Promise.all(
      entries.slice(i, i + CHECK_READS_IN_FLIGHT).map(async ([key, seq]) => {
        const reply = await load.client
          .read({ tenantId: load.tenantId, key, consistency: 'quorum' })
          .catch((error: Error) => error);
        if (reply instanceof Error) wrong.push(`${key}: ${reply.message}`);
        else if (Number(text(reply.value)) < seq) {
          wrong.push(`${key}: ${text(reply.value)} < ${seq}`);
        }
      }),
    );
  }
  expect(wrong.slice(0, 10)).toEqual([]);
}

/** A ScanRange of the tenant's whole ring carrying a driver's fence; rejects with the node's refusal. */
export async function scanAsDriver(
  address: string,
  tenantId: string,
  fence: storageV1.MigrationFence,
): Promise<void> {
  for await (const page of scanWholeRing(address, tenantId, fence)) void page;
}

/** The pages of a ScanRange of the tenant's whole ring on one node, past every node's fence. */
async function* scanWholeRing(
  address: string,
  tenantId: string,
  fence?: storageV1.MigrationFence,
): AsyncGenerator<storageV1.ScannedVersion[]> {
  const client = new StorageClient(address);
  try {
    const call = client.raw.scanRange(
      storageV1.ScanRangeRequest.fromPartial({
        range: WHOLE_RING,
        tenantId,
        ringVersion: INSPECTION_RING_VERSION,
        ...(fence && { fence }),
      }),
    );
    for await (const page of call as AsyncIterable<storageV1.ScanRangeResponse>) {
      yield page.entries;
    }
  } finally {
    client.close();
  }
}

/**
 * After a change under `load`: no read saw a lost or older value, every acknowledged key reads
 * back, and each is stored on exactly its preference list among `members`.
 */
export async function expectNothingLost(
  load: Load,
  members: readonly StorageNodeAddress[],
  replicationFactor: number,
): Promise<void> {
  expect(load.problems.slice(0, 10)).toEqual([]);
  await expectAllReadable(load);
  await expectPlacedExactly(members, load.tenantId, replicationFactor, load.acknowledged.keys());
}
