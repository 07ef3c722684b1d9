import { DISK_FREE_REFRESH_MS, DiskGuard } from '../../src/engine/disk-guard';
import { DiskFullError } from '../../src/engine/errors';

function probe(freeBytes: number[]) {
  const calls: number[] = [];
  let nowMs = 0;
  const guard = new DiskGuard(
    '/data',
    1000,
    async () => {
      calls.push(nowMs);
      return freeBytes[0]!;
    },
    () => nowMs,
  );
  return { guard, calls, advance: (ms: number) => (nowMs += ms) };
}

describe('disk guard', () => {
  it('samples free space once per refresh period, however many writes check it', async () => {
    const { guard, calls, advance } = probe([10_000]);
    await guard.refresh();
    for (let i = 0; i < 100; i++) guard.checkWritable();
    advance(DISK_FREE_REFRESH_MS - 1);
    guard.checkWritable();
    expect(calls).toHaveLength(1);
    advance(1);
    guard.checkWritable();
    guard.checkWritable();
    expect(calls).toHaveLength(2);
  });

  it('below the minimum writes fail with DiskFullError naming both figures', async () => {
    const free = [999];
    const { guard } = probe(free);
    await guard.refresh();
    expect(() => guard.checkWritable()).toThrow(DiskFullError);
    expect(() => guard.checkWritable()).toThrow(/999 bytes.*1000 bytes/);
    free[0] = 1000;
    await guard.refresh();
    expect(() => guard.checkWritable()).not.toThrow();
  });

  it('a failing probe keeps the previous sample: neither blocks nor allows writes', async () => {
    let fail = false;
    const guard = new DiskGuard('/data', 1000, async () => {
      if (fail) throw new Error('statfs failed');
      return 10;
    });
    await guard.refresh();
    fail = true;
    await guard.refresh();
    expect(guard.lastFreeBytes).toBe(10);
    expect(() => guard.checkWritable()).toThrow(DiskFullError);
  });

  it('a minimum of 0 disables the guard', () => {
    const guard = new DiskGuard('/data', 0, async () => 0);
    expect(guard.enabled).toBe(false);
    expect(() => guard.checkWritable()).not.toThrow();
  });
});
