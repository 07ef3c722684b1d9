// `pairdb status` on a terminal: joining and draining nodes counted in the summary, the running
// migration under the table, unreachable nodes last.
import type { Migration } from '@pairdb/client';
import type { ClusterStatus, NodeStatusRow } from '../../src/status/cluster-status';
import { renderStatus } from '../../src/status/status-text';

function row(nodeId: string, state: string, overrides: Partial<NodeStatusRow> = {}) {
  return {
    nodeId,
    address: `127.0.0.1:${nodeId.length}`,
    state,
    owns: 0.25,
    effective: 0.75,
    health: 'up' as const,
    keys: 10,
    hintsPending: 0,
    freeDiskBytes: 1024,
    ...overrides,
  };
}

const running: Migration = {
  migrationId: 'mig-7',
  type: 'node_addition',
  nodeId: 'node-4',
  status: 'in_progress',
  phase: 'data_copy',
  keysMigrated: 30,
  totalKeys: 120,
  percentage: 25,
  startedAtUnixMs: 1,
  completedAtUnixMs: 0,
  errorMessage: '',
  tenantId: '',
  fromReplicationFactor: 0,
  toReplicationFactor: 0,
  rangesDone: 10,
  rangesTotal: 40,
  bytesMigrated: 3000,
  lostRanges: '',
};

describe('renderStatus', () => {
  it('counts joining and draining nodes and shows the running migration with its percentage', () => {
    const status: ClusterStatus = {
      replicationFactor: 3,
      ringSize: 4,
      nodes: [
        row('node-1', 'active'),
        row('node-2', 'draining'),
        row('node-4', 'joining', { owns: 0, effective: 0, keys: 0 }),
      ],
    };
    const text = renderStatus('127.0.0.1:50051', status, [running]);
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'coordinator 127.0.0.1:50051: 3 storage nodes registered, 4 in the ring, 1 joining, ' +
        '1 draining, 3 up',
    );
    expect(lines.slice(2, 6)).toEqual([
      'NODE    ADDRESS      STATE      OWNS  EFFECTIVE(RF3)  HEALTH  KEYS  HINTS  FREE DISK',
      'node-1  127.0.0.1:6  active    25.0%           75.0%  up        10      0    1.0 KiB',
      'node-2  127.0.0.1:6  draining  25.0%           75.0%  up        10      0    1.0 KiB',
      'node-4  127.0.0.1:6  joining    0.0%            0.0%  up         0      0    1.0 KiB',
    ]);
    expect(text).toContain(
      '\nmigration mig-7 node_addition node-4: in_progress, phase data_copy, 30/120 keys ' +
        '(25.0%), 10/40 ranges\n',
    );
  });

  it('shows a migration rolling back as still running, with the reason it is undone', () => {
    const status: ClusterStatus = {
      replicationFactor: 3,
      ringSize: 3,
      nodes: [row('node-1', 'active'), row('node-4', 'joining', { keys: 0 })],
    };
    const reason = 'range (1, 2] of tenant t: copy to node-4 failed 5 times; last: disk full';
    const rollingBack = { ...running, phase: 'rolling_back', errorMessage: reason };
    const text = renderStatus('127.0.0.1:50051', status, [rollingBack]);
    expect(text.split('\n')[0]).toContain(', 1 joining,');
    expect(text).toContain(
      '\nmigration mig-7 node_addition node-4: in_progress, phase rolling_back, 30/120 keys ' +
        `(25.0%), 10/40 ranges: ${reason}\n`,
    );
  });

  it('names no states and no migration when nothing moves, and lists down nodes last', () => {
    const status: ClusterStatus = {
      replicationFactor: 1,
      ringSize: 1,
      nodes: [row('a', 'active', { health: 'down', error: 'connect ECONNREFUSED' })],
    };
    const text = renderStatus('c:1', status, []);
    expect(text.split('\n')[0]).toBe(
      'coordinator c:1: 1 storage nodes registered, 1 in the ring, 0 up',
    );
    expect(text).not.toContain('migration');
    expect(text.endsWith('\na: connect ECONNREFUSED\n')).toBe(true);
  });

  it("adds each node's last repair and the keys it repaired, and the running repair", () => {
    const status: ClusterStatus = {
      replicationFactor: 3,
      ringSize: 2,
      nodes: [row('node-1', 'active'), row('node-2', 'active')],
    };
    const nowMs = 1_000_000;
    const text = renderStatus('c:1', status, [], {
      nowMs,
      status: {
        nodes: [{ nodeId: 'node-1', lastCompletedAtUnixMs: nowMs - 65_000, keysRepaired: 3000 }],
        running: {
          repairId: 'rep-2',
          tenantId: '',
          status: 'running',
          requested: false,
          rangesDone: 7,
          rangesTotal: 20,
          keysRepaired: 4,
          bucketsDiffering: 2,
          requestedAtUnixMs: 0,
          startedAtUnixMs: nowMs - 1_000,
          completedAtUnixMs: 0,
          message: '',
        },
      },
    });
    expect(text.split('\n').slice(2, 5)).toEqual([
      'NODE    ADDRESS      STATE    OWNS  EFFECTIVE(RF3)  HEALTH  KEYS  HINTS  FREE DISK  ' +
        'LAST REPAIR  REPAIRED',
      'node-1  127.0.0.1:6  active  25.0%           75.0%  up        10      0    1.0 KiB  ' +
        '     1m ago      3000',
      'node-2  127.0.0.1:6  active  25.0%           75.0%  up        10      0    1.0 KiB  ' +
        '      never         -',
    ]);
    expect(text).toContain(
      '\nrepair rep-2 (every tenant): running, 7/20 ranges, 4 keys repaired\n',
    );
  });
});
