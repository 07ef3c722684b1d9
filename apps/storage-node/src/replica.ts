// One storage node's replica logic, free of gRPC: validates requests, applies them to the
// version store, or keeps them as hints for the replica they were meant for.
import {
  collapseToWinner,
  EMPTY_VERSION_SET,
  update,
  type Dot,
  type VersionSet,
  type VersionVector,
  type WriteContent,
} from '@pairdb/vectorclock';
import { validateTenantId } from '@pairdb/wire-contract';
import type { Engine } from './engine';
import type { HintStore, HintTarget } from './hints/hint-store';
import { encodeDataKey } from './versions/engine-keys';
import {
  checkElement,
  InvalidRequestError,
  validateHintTarget,
  validateKey,
  validateValue,
  type RequestLimits,
} from './versions/validation';
import type { ConflictPolicy, VersionStore } from './versions/version-store';

export interface ReplicaWrite {
  readonly tenantId: string;
  readonly key: string;
  readonly context: VersionVector;
  readonly dot: Dot;
  readonly content: WriteContent;
  readonly policy: ConflictPolicy;
  readonly hintFor?: HintTarget;
}

export interface ReplicaRepair {
  readonly tenantId: string;
  readonly key: string;
  readonly versions: VersionSet;
  readonly policy: ConflictPolicy;
  readonly hintFor?: HintTarget;
}

export interface ReplicaEvents {
  onHintStored?(): void;
}

export class Replica {
  constructor(
    readonly nodeId: string,
    private readonly engine: Engine,
    private readonly versions: VersionStore,
    private readonly hints: HintStore,
    private readonly limits: RequestLimits,
    private readonly events: ReplicaEvents = {},
  ) {}

  async write(request: ReplicaWrite): Promise<VersionSet> {
    validateTenantId(request.tenantId);
    validateKey(request.key, this.limits);
    if ('value' in request.content) validateValue(request.content.value, this.limits);
    if (request.hintFor) {
      validateHintTarget(request.hintFor);
      const set = update(EMPTY_VERSION_SET, request.context, request.dot, request.content);
      const resolved = request.policy === 'lww' ? collapseToWinner(set) : set;
      await this.storeHint(
        request.hintFor,
        request.tenantId,
        request.key,
        request.policy,
        resolved,
      );
      return resolved;
    }
    return this.versions.write(request);
  }

  read(tenantId: string, key: string): VersionSet | undefined {
    validateTenantId(tenantId);
    validateKey(key, this.limits);
    return this.versions.read(tenantId, key);
  }

  async repair(request: ReplicaRepair): Promise<VersionSet> {
    this.validateRepair(request);
    if (request.hintFor) {
      validateHintTarget(request.hintFor);
      await this.storeHint(
        request.hintFor,
        request.tenantId,
        request.key,
        request.policy,
        request.versions,
      );
      return request.versions;
    }
    return this.versions.repair(request.tenantId, request.key, request.versions, request.policy);
  }

  /**
   * Merges every item as repair() does (never as a hint). All items are checked first: one
   * invalid item refuses the batch, naming it (`items[3].key`), and nothing is merged. The merges
   * start in the same turn, so the engine groups their commit-log appends into one fsync;
   * resolves once every one is durable.
   */
  async repairBatch(items: readonly ReplicaRepair[]): Promise<void> {
    items.forEach((item, index) => {
      checkElement(`items[${index}]`, () => this.validateRepair(item));
      if (item.hintFor) {
        throw new InvalidRequestError(
          `items[${index}].hint_for`,
          item.hintFor.nodeId,
          'is not taken in a batch',
        );
      }
    });
    await Promise.all(
      items.map((item) =>
        this.versions.repair(item.tenantId, item.key, item.versions, item.policy),
      ),
    );
  }

  get hintsPending(): number {
    return this.hints.pending;
  }

  get engineError(): Error | undefined {
    return this.engine.backgroundError;
  }

  private validateRepair(request: ReplicaRepair): void {
    validateTenantId(request.tenantId);
    validateKey(request.key, this.limits);
    for (const sibling of request.versions.siblings) {
      if (!sibling.tombstone) validateValue(sibling.value, this.limits);
    }
  }

  private async storeHint(
    target: HintTarget,
    tenantId: string,
    key: string,
    policy: ConflictPolicy,
    versions: VersionSet,
  ): Promise<void> {
    await this.hints.add(target, encodeDataKey(tenantId, key), policy, versions);
    this.events.onHintStored?.();
  }
}
