// The client data API (docs/architecture.md#one-write-hop-by-hop): validation, idempotency, tenant
// settings, then the write or read path. Returns plain results; grpc/ turns them into responses.
import {
  liveValues,
  lwwWinner,
  readContext,
  VersionArgumentError,
  VersionVector,
  type ValueSibling,
} from '@pairdb/vectorclock';
import { validateTenantId } from '@pairdb/wire-contract';
import {
  InvalidArgumentError,
  KeyNotFoundError,
  LeaseLapsedError,
  NoStorageNodesError,
  TooLargeError,
} from './errors';
import type { Tenant } from './metadata';
import { parseConsistency, type Consistency } from './paths/consistency';
import type { IdempotentWrites } from './paths/idempotent-writes';
import type { ReadPath } from './paths/read-path';
import type { WritePath } from './paths/write-path';
import type { TenantCache } from './tenants/tenant-cache';

export interface KeyValueLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  readonly defaultConsistency: Consistency;
}

export interface ContextEntry {
  readonly actor: string;
  readonly counter: bigint;
}

export interface WriteInput {
  readonly tenantId: string;
  readonly key: string;
  /** undefined for a delete. */
  readonly value: Uint8Array | undefined;
  readonly consistency: string;
  readonly idempotencyKey: string;
  readonly context: readonly ContextEntry[];
}

export interface WriteResult {
  readonly key: string;
  readonly idempotencyKey: string;
  /** The context for the next write: every version the acknowledging replicas hold. */
  readonly clock: ContextEntry[];
  readonly replicaCount: number;
  readonly consistency: Consistency;
  readonly duplicate: boolean;
}

export interface ReadResult {
  readonly key: string;
  readonly value: Uint8Array;
  readonly clock: ContextEntry[];
  readonly siblings: { value: Uint8Array; dot: ContextEntry }[];
}

export interface KeyValueEvents {
  onConflict?(): void;
}

const writeResultCodec = {
  encode(result: WriteResult): Buffer {
    return Buffer.from(
      JSON.stringify({
        ...result,
        clock: result.clock.map((e) => [e.actor, e.counter.toString()]),
      }),
    );
  },
  decode(bytes: Buffer): WriteResult {
    const raw = JSON.parse(bytes.toString()) as Omit<WriteResult, 'clock'> & {
      clock: [string, string][];
    };
    return {
      ...raw,
      clock: raw.clock.map(([actor, counter]) => ({ actor, counter: BigInt(counter) })),
    };
  },
};

export class KeyValueService {
  constructor(
    private readonly deps: {
      tenants: TenantCache;
      writes: WritePath;
      reads: ReadPath;
      idempotency: IdempotentWrites;
      limits: KeyValueLimits;
      ringSize: () => number;
      /** Whether this coordinator's lease on its id is valid (docs/architecture.md#membership-and-migrations). */
      leaseValid?: () => boolean;
      events?: KeyValueEvents;
    },
  ) {}

  async write(input: WriteInput): Promise<WriteResult> {
    this.validateKey(input.tenantId, input.key);
    if (input.value && input.value.length > this.deps.limits.valueBytesMax) {
      throw new TooLargeError('value', input.value.length, this.deps.limits.valueBytesMax);
    }
    const consistency = parseConsistency(input.consistency, this.deps.limits.defaultConsistency);
    const context = contextFromEntries(input.context);
    const tenant = await this.deps.tenants.get(input.tenantId);
    this.requireNodes();
    const perform = () => this.performWrite(input, tenant, consistency, context);
    if (input.idempotencyKey === '') return perform();
    const fingerprintParts = [
      input.value === undefined ? 'delete' : 'write',
      input.value ?? new Uint8Array(0),
      context.toString(),
    ];
    const { response, duplicate } = await this.deps.idempotency.run(
      {
        tenantId: input.tenantId,
        key: input.key,
        idempotencyKey: input.idempotencyKey,
        fingerprintParts,
      },
      writeResultCodec,
      perform,
    );
    return duplicate ? { ...response, duplicate: true } : response;
  }

  async read(tenantId: string, key: string, consistencyText: string): Promise<ReadResult> {
    this.validateKey(tenantId, key);
    const consistency = parseConsistency(consistencyText, this.deps.limits.defaultConsistency);
    const tenant = await this.deps.tenants.get(tenantId);
    this.requireNodes();
    const outcome = await this.deps.reads.read({
      tenantId,
      key,
      consistency,
      replicationFactor: tenant.replicationFactor,
      policy: tenant.conflictResolution,
    });
    if (outcome.conflict) this.deps.events?.onConflict?.();
    const live = liveValues(outcome.versions);
    if (live.length === 0) throw new KeyNotFoundError(tenantId, key);
    const winner =
      tenant.conflictResolution === 'lww'
        ? (lwwWinner(outcome.versions) as ValueSibling)
        : live[0]!;
    return {
      key,
      value: winner.value,
      clock: entriesOf(readContext(outcome.versions)),
      siblings: live.map((s) => ({
        value: s.value,
        dot: { actor: s.dot.actor, counter: s.dot.counter },
      })),
    };
  }

  private async performWrite(
    input: WriteInput,
    tenant: Tenant,
    consistency: Consistency,
    context: VersionVector,
  ): Promise<WriteResult> {
    const outcome = await this.deps.writes.write({
      tenantId: input.tenantId,
      key: input.key,
      value: input.value,
      context,
      consistency,
      replicationFactor: tenant.replicationFactor,
      policy: tenant.conflictResolution,
    });
    return {
      key: input.key,
      idempotencyKey: input.idempotencyKey,
      clock: entriesOf(outcome.clock),
      replicaCount: outcome.acknowledged,
      consistency,
      duplicate: false,
    };
  }

  private validateKey(tenantId: string, key: string): void {
    validateTenantId(tenantId);
    if (key === '') throw new InvalidArgumentError('key', key, 'is required');
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes > this.deps.limits.keyBytesMax) {
      throw new InvalidArgumentError(
        'key',
        key,
        `is ${bytes} bytes, above ${this.deps.limits.keyBytesMax}`,
      );
    }
  }

  private requireNodes(): void {
    // A coordinator whose lease lapsed may have missed ring versions: it must not place data.
    if (this.deps.leaseValid && !this.deps.leaseValid()) throw new LeaseLapsedError();
    if (this.deps.ringSize() === 0) throw new NoStorageNodesError();
  }
}

function contextFromEntries(entries: readonly ContextEntry[]): VersionVector {
  try {
    return VersionVector.from(entries.map((e) => [e.actor, e.counter] as const));
  } catch (error) {
    if (error instanceof VersionArgumentError) {
      throw new InvalidArgumentError(
        'context',
        entries.map((e) => `${e.actor}:${e.counter}`).join(','),
        error.message,
      );
    }
    throw error;
  }
}

function entriesOf(vector: VersionVector): ContextEntry[] {
  return vector.entries().map(([actor, counter]) => ({ actor, counter }));
}
