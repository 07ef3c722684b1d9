// StartRepair and GetRepairStatus (docs/architecture.md#anti-entropy) over the embedded metadata
// store: what each bad request answers, as the gRPC status the handlers send (grpc/status.ts),
// and that a good one is recorded pending and wakes this coordinator's runner.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import { statusCodeOf } from '../../src/grpc/status';
import { openEmbeddedMetadataStore, type MetadataStore } from '../../src/metadata';
import { RepairService } from '../../src/repair-service';

// Starting the embedded PostgreSQL takes a few seconds on a loaded machine.
jest.setTimeout(60_000);

/** The gRPC code and message a call fails with. */
async function failure(call: Promise<unknown>): Promise<[string, string]> {
  try {
    await call;
  } catch (error) {
    return [status[statusCodeOf(error)]!, (error as Error).message];
  }
  throw new Error('the call succeeded');
}

describe('repair service over the embedded metadata store', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pairdb-repairs-'));
  let store: MetadataStore;
  let wakes = 0;
  let repairs: RepairService;

  beforeAll(async () => {
    store = (await openEmbeddedMetadataStore(dir)).store;
    await store.createTenant({ tenantId: 'shop', replicationFactor: 3 });
    repairs = new RepairService(store, { wake: () => wakes++ });
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers NOT_FOUND naming an unknown tenant', async () => {
    const [code, message] = await failure(repairs.startRepair('nope'));
    expect(code).toBe('NOT_FOUND');
    expect(message).toContain('"nope"');
  });

  it('answers INVALID_ARGUMENT naming the field and a bad tenant id', async () => {
    const [code, message] = await failure(repairs.startRepair('bad tenant!'));
    expect(code).toBe('INVALID_ARGUMENT');
    expect(message).toMatch(/tenant_id.*"bad tenant!"/);
  });

  it('answers FAILED_PRECONDITION when anti-entropy is disabled on this coordinator', async () => {
    const disabled = new RepairService(store, undefined);
    const [code, message] = await failure(disabled.startRepair(''));
    expect(code).toBe('FAILED_PRECONDITION');
    expect(message).toContain('anti-entropy is disabled');
  });

  it('answers NOT_FOUND naming an unknown repair id', async () => {
    const [code, message] = await failure(repairs.getRepairStatus('rep-unknown'));
    expect(code).toBe('NOT_FOUND');
    expect(message).toContain('"rep-unknown"');
  });

  it('records a pending request, wakes the runner, and answers the same request while it waits', async () => {
    const before = wakes;
    const first = await repairs.startRepair('shop');
    expect(first).toMatchObject({ tenantId: 'shop', status: 'pending', requested: true });
    expect(first.repairId).toMatch(/^rep-/);
    expect(wakes).toBe(before + 1);
    expect((await repairs.startRepair('shop')).repairId).toBe(first.repairId);
    const everyTenant = await repairs.startRepair('');
    expect(everyTenant.tenantId).toBeNull();
    expect(everyTenant.repairId).not.toBe(first.repairId);

    const report = await repairs.getRepairStatus(first.repairId);
    expect(report.repair).toMatchObject({ repairId: first.repairId, status: 'pending' });
    expect(report.running).toBeNull();
    expect(report.lastCompleted).toBeNull();
    expect(report.nodes).toEqual([]);
  });
});
