// `pairdb repair` follows its repair: one line per change of status or progress, until it
// completes or ends incomplete; an abort ends it with the last state. And how a node's last
// repair reads in `pairdb status`.
import type { Repair } from '@pairdb/client';
import { describeRepair, formatAgo } from '../../src/repair/repair-text';
import { watchRepair } from '../../src/repair/repair-watch';

function repair(overrides: Partial<Repair>): Repair {
  return {
    repairId: 'rep-1',
    tenantId: '',
    status: 'running',
    requested: true,
    rangesDone: 0,
    rangesTotal: 0,
    keysRepaired: 0,
    bucketsDiffering: 0,
    requestedAtUnixMs: 1_000,
    startedAtUnixMs: 2_000,
    completedAtUnixMs: 0,
    message: '',
    ...overrides,
  };
}

function scripted(states: Repair[]) {
  let index = 0;
  return async () => states[Math.min(index++, states.length - 1)]!;
}

const noWait = async () => undefined;

describe('watchRepair', () => {
  it('prints one line per change and stops once completed', async () => {
    const lines: string[] = [];
    const final = await watchRepair({
      fetch: scripted([
        repair({ status: 'pending', startedAtUnixMs: 0 }),
        repair({ rangesTotal: 40 }),
        repair({ rangesDone: 10, rangesTotal: 40, keysRepaired: 5 }),
        repair({ rangesDone: 10, rangesTotal: 40, keysRepaired: 5 }),
        repair({
          status: 'completed',
          rangesDone: 40,
          rangesTotal: 40,
          keysRepaired: 12,
          completedAtUnixMs: 14_500,
        }),
        repair({ status: 'running', rangesTotal: 99 }),
      ]),
      output: { write: (text: string) => lines.push(text) },
      intervalMs: 1,
      sleep: noWait,
    });
    expect(final.status).toBe('completed');
    expect(lines.join('')).toBe(
      'repair rep-1 (every tenant): pending\n' +
        'repair rep-1 (every tenant): running, 0/40 ranges, 0 keys repaired\n' +
        'repair rep-1 (every tenant): running, 10/40 ranges, 5 keys repaired\n' +
        'repair rep-1 (every tenant): completed, 40/40 ranges, 12 keys repaired in 12.5 s\n',
    );
  });

  it('stops at incomplete and says why; an abort ends it with the last state', async () => {
    const lines: string[] = [];
    const incomplete = await watchRepair({
      fetch: scripted([
        repair({
          tenantId: 'shop',
          status: 'incomplete',
          rangesDone: 3,
          rangesTotal: 9,
          completedAtUnixMs: 3_000,
          message: '2 ranges not compared on every owner (failed: node-2)',
        }),
      ]),
      output: { write: (text: string) => lines.push(text) },
      intervalMs: 1,
      sleep: noWait,
    });
    expect(incomplete.status).toBe('incomplete');
    expect(lines).toEqual([
      'repair rep-1 (tenant shop): incomplete, 3/9 ranges, 0 keys repaired in 1.0 s: ' +
        '2 ranges not compared on every owner (failed: node-2)\n',
    ]);

    const abort = new AbortController();
    const last = await watchRepair({
      fetch: async () => {
        abort.abort();
        return repair({ rangesDone: 1, rangesTotal: 9 });
      },
      output: { write: () => true },
      intervalMs: 1,
      signal: abort.signal,
      sleep: noWait,
    });
    expect(last.rangesDone).toBe(1);
  });
});

describe('formatAgo', () => {
  it.each([
    [0, 'never'],
    [1_000_000 - 42_400, '42s ago'],
    [1_000_000 - 5 * 60_000, '5m ago'],
  ])('%d reads as %s at 1,000 s', (unixMs, text) => {
    expect(formatAgo(unixMs, 1_000_000)).toBe(text);
  });

  it('switches to hours, then to days after two days', () => {
    const now = 10 * 86_400_000;
    expect(formatAgo(now - 47 * 3_600_000, now)).toBe('47h ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3d ago');
  });

  it('describes a pending repair without counts', () => {
    expect(describeRepair(repair({ status: 'pending', tenantId: 't' }))).toBe(
      'repair rep-1 (tenant t): pending',
    );
  });
});
