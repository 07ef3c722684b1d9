// How migrations read: the one-line description (ranges, lost ranges and errors only when
// there are any), the subject of a replication factor change, and `migration list`'s table.
import type { Migration } from '@pairdb/client';
import {
  describeMigration,
  isFinished,
  migrationNotes,
  migrationTable,
} from '../../src/migration/migration-text';

function migration(overrides: Partial<Migration>): Migration {
  return {
    migrationId: 'mig-1',
    type: 'node_addition',
    nodeId: 'node-3',
    status: 'in_progress',
    phase: 'data_copy',
    keysMigrated: 0,
    totalKeys: 0,
    percentage: 0,
    startedAtUnixMs: Date.UTC(2025, 0, 2, 3, 4, 5, 678),
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

describe('describeMigration', () => {
  it('shows keys without a percentage until the copy has counted them', () => {
    expect(describeMigration(migration({ phase: 'dual_write', keysMigrated: 0 }))).toBe(
      'mig-1 node_addition node-3: in_progress, phase dual_write, 0 keys',
    );
  });

  it("shows the server's percentage to one decimal, and ranges done of all", () => {
    const line = describeMigration(
      migration({
        keysMigrated: 2,
        totalKeys: 3,
        percentage: 66.66666,
        rangesDone: 5,
        rangesTotal: 12,
      }),
    );
    expect(line).toBe(
      'mig-1 node_addition node-3: in_progress, phase data_copy, 2/3 keys (66.7%), 5/12 ranges',
    );
  });

  it('names a factor change by tenant and factors, and appends lost ranges and the error', () => {
    const line = describeMigration(
      migration({
        type: 'replication_factor_change',
        nodeId: '',
        tenantId: 'shop',
        fromReplicationFactor: 2,
        toReplicationFactor: 3,
        status: 'failed',
        lostRanges: '(1,5]',
        errorMessage: 'range (1,5] still differs',
      }),
    );
    expect(line).toBe(
      'mig-1 replication_factor_change shop rf 2->3: failed, phase data_copy, 0 keys; ' +
        'lost: (1,5]: range (1,5] still differs',
    );
  });
});

describe('isFinished', () => {
  it.each([
    ['completed', true],
    ['failed', true],
    ['cancelled', true],
    ['rolled_back', true],
    ['pending', false],
    ['in_progress', false],
  ])('%s -> %s', (status, finished) => {
    expect(isFinished(migration({ status }))).toBe(finished);
  });
});

describe('migrationTable', () => {
  it('lines up one row per migration with progress, keys, ranges and start time', () => {
    const table = migrationTable([
      migration({
        migrationId: 'mig-2',
        type: 'node_deletion',
        nodeId: 'node-0',
        keysMigrated: 7,
        totalKeys: 40,
        percentage: 17.5,
        rangesDone: 3,
        rangesTotal: 30,
      }),
      migration({
        status: 'completed',
        phase: 'cleanup',
        keysMigrated: 120,
        totalKeys: 120,
        percentage: 100,
        rangesDone: 349,
        rangesTotal: 349,
      }),
    ]);
    expect(table.split('\n')).toEqual([
      'MIGRATION  TYPE           SUBJECT  STATUS       PHASE        DONE     KEYS   RANGES  STARTED',
      'mig-2      node_deletion  node-0   in_progress  data_copy   17.5%     7/40     3/30  2025-01-02T03:04:05Z',
      'mig-1      node_addition  node-3   completed    cleanup    100.0%  120/120  349/349  2025-01-02T03:04:05Z',
    ]);
  });

  it('leaves errors and lost ranges to notes below the table', () => {
    expect(
      migrationNotes([
        migration({ migrationId: 'a' }),
        migration({ migrationId: 'b', errorMessage: 'node-4 unreachable', lostRanges: '(9,12]' }),
      ]),
    ).toEqual(['b: node-4 unreachable', 'b lost: (9,12]']);
  });
});
