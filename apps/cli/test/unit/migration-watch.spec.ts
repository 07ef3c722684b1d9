// --watch polls until a final status: a line per change without a terminal, a progress bar
// with one; an abort ends it with the last state.
import type { Migration } from '@pairdb/client';
import { watchMigration } from '../../src/migration/migration-watch';

function migration(overrides: Partial<Migration>): Migration {
  return {
    migrationId: 'm1',
    type: 'node_addition',
    nodeId: 'node-3',
    status: 'in_progress',
    phase: 'data_copy',
    keysMigrated: 0,
    totalKeys: 100,
    percentage: 0,
    startedAtUnixMs: 1,
    completedAtUnixMs: 0,
    errorMessage: '',
    tenantId: '',
    fromReplicationFactor: 0,
    toReplicationFactor: 0,
    rangesDone: 0,
    rangesTotal: 0,
    bytesMigrated: 0,
    lostRanges: '',
    ...overrides,
  };
}

function scripted(states: Migration[]) {
  let index = 0;
  return {
    polls: () => index,
    fetch: async () => states[Math.min(index++, states.length - 1)]!,
  };
}

const noWait = async () => undefined;

describe('watchMigration', () => {
  it('prints one line per change without a terminal and stops at completed', async () => {
    const script = scripted([
      migration({ keysMigrated: 10, percentage: 10 }),
      migration({ keysMigrated: 10, percentage: 10 }),
      migration({ keysMigrated: 60, percentage: 60 }),
      migration({ status: 'completed', phase: 'cleanup', keysMigrated: 100, percentage: 100 }),
      migration({ status: 'completed', phase: 'cleanup', keysMigrated: 100, percentage: 100 }),
    ]);
    const lines: string[] = [];
    const final = await watchMigration({
      fetch: script.fetch,
      output: { write: (text: string) => lines.push(text) },
      intervalMs: 1,
      sleep: noWait,
    });
    expect(final.status).toBe('completed');
    expect(script.polls()).toBe(4);
    expect(lines).toEqual([
      'm1 node_addition node-3: in_progress, phase data_copy, 10/100 keys (10.0%)\n',
      'm1 node_addition node-3: in_progress, phase data_copy, 60/100 keys (60.0%)\n',
      'm1 node_addition node-3: completed, phase cleanup, 100/100 keys (100.0%)\n',
    ]);
  });

  it('stops at failed and shows the error', async () => {
    const lines: string[] = [];
    const final = await watchMigration({
      fetch: scripted([migration({ status: 'failed', errorMessage: 'node-3 unreachable' })]).fetch,
      output: { write: (text: string) => lines.push(text) },
      intervalMs: 1,
      sleep: noWait,
    });
    expect(final.status).toBe('failed');
    expect(lines[0]).toContain(': node-3 unreachable');
  });

  it('follows a rollback through rolling_back, its reason shown while it is undone', async () => {
    const lines: string[] = [];
    const reason = 'range (1, 2] of tenant t: copy to node-3 failed 5 times; last: disk full';
    const final = await watchMigration({
      fetch: scripted([
        migration({ keysMigrated: 10 }),
        migration({ phase: 'rolling_back', keysMigrated: 10, errorMessage: reason }),
        migration({
          status: 'rolled_back',
          phase: 'rolling_back',
          keysMigrated: 10,
          errorMessage: reason,
        }),
      ]).fetch,
      output: { write: (text: string) => lines.push(text) },
      intervalMs: 1,
      sleep: noWait,
    });
    expect(final.status).toBe('rolled_back');
    expect(lines).toEqual([
      'm1 node_addition node-3: in_progress, phase data_copy, 10/100 keys (0.0%)\n',
      `m1 node_addition node-3: in_progress, phase rolling_back, 10/100 keys (0.0%): ${reason}\n`,
      `m1 node_addition node-3: rolled_back, phase rolling_back, 10/100 keys (0.0%): ${reason}\n`,
    ]);
  });

  it('ends early on abort with the last state seen', async () => {
    const controller = new AbortController();
    const script = scripted([migration({ keysMigrated: 5 })]);
    const final = await watchMigration({
      fetch: script.fetch,
      output: { write: () => true },
      intervalMs: 1,
      signal: controller.signal,
      sleep: async () => controller.abort(),
    });
    expect(final.keysMigrated).toBe(5);
    expect(script.polls()).toBe(1);
  });

  it('draws a progress bar on a terminal', async () => {
    let screen = '';
    const terminal = {
      isTTY: true,
      columns: 120,
      write: (text: string) => ((screen += text), true),
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => terminal,
      removeListener: () => terminal,
    };
    await watchMigration({
      fetch: scripted([
        migration({ keysMigrated: 50, percentage: 50 }),
        migration({ status: 'completed', phase: 'cleanup', keysMigrated: 100, percentage: 100 }),
      ]).fetch,
      output: terminal,
      intervalMs: 1,
      sleep: noWait,
    });
    // One column as wide as the longest phase (rolling_back), so the bar stays put.
    expect(screen).toContain('data_copy    |===============---------------| 50% | 50/100 keys');
    expect(screen).toContain('cleanup      |==============================| 100% | 100/100 keys');
  });
});
