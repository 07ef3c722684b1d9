// Repairs on demand (docs/architecture.md#anti-entropy): StartRepair records a request in the
// metadata store, where the coordinator holding the anti-entropy lease takes it (at once when that
// is this coordinator, within its poll otherwise); GetRepairStatus reads what every pass records,
// so any coordinator answers it.
import { randomUUID } from 'node:crypto';
import { validateTenantId } from '@pairdb/wire-contract';
import { AntiEntropyDisabledError } from './errors';
import type { AntiEntropyRepair, MetadataStore, NodeLastRepair } from './metadata';

/** The part of the metadata store repairs use. */
export type RepairStore = Pick<
  MetadataStore,
  | 'getTenant'
  | 'requestRepair'
  | 'getRepair'
  | 'getRunningRepair'
  | 'getLastCompletedRepair'
  | 'listNodeLastRepairs'
>;

export interface RepairStatusReport {
  /** The repair asked for by id; null when none was. */
  readonly repair: AntiEntropyRepair | null;
  readonly running: AntiEntropyRepair | null;
  readonly lastCompleted: AntiEntropyRepair | null;
  readonly nodes: readonly NodeLastRepair[];
}

export class RepairService {
  constructor(
    private readonly store: RepairStore,
    /** This coordinator's runner; undefined when anti_entropy.enabled is false. */
    private readonly runner: { wake(): void } | undefined,
  ) {}

  /** `tenantId` '' repairs every tenant. Answers the pending request (a new one or the one
   * already waiting for the same tenant). */
  async startRepair(tenantId: string): Promise<AntiEntropyRepair> {
    if (!this.runner) throw new AntiEntropyDisabledError();
    if (tenantId !== '') {
      validateTenantId(tenantId);
      await this.store.getTenant(tenantId);
    }
    const repair = await this.store.requestRepair(newRepairId(), tenantId === '' ? null : tenantId);
    this.runner.wake();
    return repair;
  }

  /** `repairId` '' asks for none in particular. */
  async getRepairStatus(repairId: string): Promise<RepairStatusReport> {
    const repair = repairId === '' ? null : await this.store.getRepair(repairId);
    return {
      repair,
      running: await this.store.getRunningRepair(),
      lastCompleted: await this.store.getLastCompletedRepair(),
      nodes: await this.store.listNodeLastRepairs(),
    };
  }
}

function newRepairId(): string {
  return `rep-${randomUUID()}`;
}
