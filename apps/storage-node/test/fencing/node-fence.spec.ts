import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StaleMigrationEpochError, StaleRingVersionError } from '../../src/fencing/errors';
import { FENCE_MIGRATIONS_MAX } from '../../src/fencing/fence-file';
import { NodeFence, type FenceRefusal } from '../../src/fencing/node-fence';
import { InvalidRequestError } from '../../src/versions/validation';

describe('NodeFence', () => {
  let dir: string;
  let refusals: FenceRefusal[];
  let fence: NodeFence;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairdb-node-fence-'));
    refusals = [];
    fence = NodeFence.open(dir, { onRefused: (reason) => refusals.push(reason) });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('admits ring version 0 until the minimum rises above it', async () => {
    await expect(fence.admit({ ringVersion: 0n })).resolves.toBeUndefined();
    await fence.raise(1n);
    await expect(fence.admit({ ringVersion: 0n })).rejects.toThrow(StaleRingVersionError);
  });

  it('refuses a ring version below the minimum, naming both, and admits the minimum', async () => {
    expect(await fence.raise(5n)).toBe(5n);
    const refused = fence.admit({ ringVersion: 4n });
    await expect(refused).rejects.toMatchObject({ requested: 4n, minimum: 5n });
    await expect(refused).rejects.toThrow(/ring version 4 .* minimum accepted ring version 5/);
    await expect(fence.admit({ ringVersion: 5n })).resolves.toBeUndefined();
    await expect(fence.admit({ ringVersion: 6n })).resolves.toBeUndefined();
    expect(refusals).toEqual(['stale_ring_version']);
  });

  it('a lower raise is a no-op answering the current minimum', async () => {
    await fence.raise(9n);
    expect(await fence.raise(3n)).toBe(9n);
    expect(fence.minRingVersion).toBe(9n);
    expect(NodeFence.open(dir).minRingVersion).toBe(9n);
  });

  it('a raise is in the file when it is answered', async () => {
    await fence.raise(12n, { migrationId: 'm1', epoch: 2n });
    const reopened = NodeFence.open(dir);
    expect(reopened.minRingVersion).toBe(12n);
    expect(reopened.epochOf('m1')).toBe(2n);
  });

  it('concurrent raises all end durable at the highest', async () => {
    const answers = await Promise.all([3n, 8n, 5n, 8n, 1n].map((v) => fence.raise(v)));
    for (const answer of answers) expect(answer).toBe(8n);
    expect(NodeFence.open(dir).minRingVersion).toBe(8n);
  });

  it('refuses an epoch below the recorded one, on a raise and on a request', async () => {
    await fence.raise(1n, { migrationId: 'm1', epoch: 4n });
    await expect(fence.raise(2n, { migrationId: 'm1', epoch: 3n })).rejects.toThrow(
      StaleMigrationEpochError,
    );
    expect(fence.minRingVersion).toBe(1n);
    const refused = fence.admit({ ringVersion: 1n, fence: { migrationId: 'm1', epoch: 3n } });
    await expect(refused).rejects.toMatchObject({ migrationId: 'm1', requested: 3n, recorded: 4n });
    await expect(
      fence.admit({ ringVersion: 1n, fence: { migrationId: 'm1', epoch: 4n } }),
    ).resolves.toBeUndefined();
    // Another migration's epochs are its own.
    await expect(
      fence.admit({ ringVersion: 1n, fence: { migrationId: 'm2', epoch: 1n } }),
    ).resolves.toBeUndefined();
    expect(refusals).toEqual(['stale_migration_epoch', 'stale_migration_epoch']);
  });

  it('a request from a newer driver records its epoch durably, so the old driver is refused after a restart', async () => {
    await fence.raise(1n, { migrationId: 'm1', epoch: 1n });
    await fence.admit({ ringVersion: 1n, fence: { migrationId: 'm1', epoch: 2n } });
    const reopened = NodeFence.open(dir);
    await expect(
      reopened.admit({ ringVersion: 1n, fence: { migrationId: 'm1', epoch: 1n } }),
    ).rejects.toThrow(StaleMigrationEpochError);
  });

  it(`keeps the ${FENCE_MIGRATIONS_MAX} most recently recorded migrations`, async () => {
    for (let i = 0; i <= FENCE_MIGRATIONS_MAX; i++) {
      await fence.raise(0n, { migrationId: `m${i}`, epoch: 1n });
    }
    // m0 is the oldest; recording m1 again makes it the newest, so m2 goes next.
    await fence.raise(0n, { migrationId: 'm1', epoch: 2n });
    await fence.raise(0n, { migrationId: 'extra', epoch: 1n });
    const reopened = NodeFence.open(dir);
    expect(reopened.epochOf('m0')).toBeUndefined();
    expect(reopened.epochOf('m2')).toBeUndefined();
    expect(reopened.epochOf('m1')).toBe(2n);
    expect(reopened.epochOf('m3')).toBe(1n);
    expect(reopened.epochOf(`m${FENCE_MIGRATIONS_MAX}`)).toBe(1n);
    expect(reopened.epochOf('extra')).toBe(1n);
  });

  it('a fence without a migration id, or with one past 255 bytes, is an invalid field', async () => {
    await expect(
      fence.admit({ ringVersion: 0n, fence: { migrationId: '', epoch: 1n } }),
    ).rejects.toThrow(InvalidRequestError);
    await expect(fence.raise(1n, { migrationId: 'x'.repeat(256), epoch: 1n })).rejects.toThrow(
      /fence\.migration_id is 256 bytes, above 255/,
    );
    expect(fence.minRingVersion).toBe(0n);
  });

  it('a failed file write fails the raise, and the next raise writes it', async () => {
    fs.mkdirSync(path.join(dir, 'FENCE.tmp'));
    await expect(fence.raise(3n)).rejects.toThrow();
    expect(NodeFence.open(dir).minRingVersion).toBe(0n);
    fs.rmdirSync(path.join(dir, 'FENCE.tmp'));
    expect(await fence.raise(3n)).toBe(3n);
    expect(NodeFence.open(dir).minRingVersion).toBe(3n);
  });
});
