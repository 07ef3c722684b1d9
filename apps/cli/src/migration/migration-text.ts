// How a migration reads on a terminal: one line (`migration status`, `--watch` without a
// terminal, `pairdb status`) and the table of `migration list`. Statuses and phases are the
// coordinator's (docs/architecture.md#membership-and-migrations); they stay strings here, so a
// newer server's values print as they are.
import type { Migration } from '@pairdb/client';
import { renderTable } from '../output/table';

/** A migration in one of these states will not change any more. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'failed',
  'cancelled',
  'rolled_back',
]);

export function isFinished(migration: Migration): boolean {
  return FINAL_STATUSES.has(migration.status);
}

/** What the migration changes: a node, or a tenant's replication factor. */
export function migrationSubject(m: Migration): string {
  if (m.type === 'replication_factor_change') {
    return `${m.tenantId} rf ${m.fromReplicationFactor}->${m.toReplicationFactor}`;
  }
  return m.nodeId;
}

/** The server's percentage of keys copied, one decimal: "42.5%". */
export function formatMigrationPercent(m: Migration): string {
  return `${m.percentage.toFixed(1)}%`;
}

export function describeMigration(m: Migration): string {
  const keys =
    m.totalKeys > 0
      ? `${m.keysMigrated}/${m.totalKeys} keys (${formatMigrationPercent(m)})`
      : `${m.keysMigrated} keys`;
  const ranges = m.rangesTotal > 0 ? `, ${m.rangesDone}/${m.rangesTotal} ranges` : '';
  const lost = m.lostRanges ? `; lost: ${m.lostRanges}` : '';
  const error = m.errorMessage ? `: ${m.errorMessage}` : '';
  return (
    `${m.migrationId} ${m.type} ${migrationSubject(m)}: ${m.status}, phase ${m.phase}, ` +
    `${keys}${ranges}${lost}${error}`
  );
}

export function migrationTable(migrations: readonly Migration[]): string {
  return renderTable(migrations, [
    { header: 'MIGRATION', value: (m) => m.migrationId },
    { header: 'TYPE', value: (m) => m.type },
    { header: 'SUBJECT', value: (m) => migrationSubject(m) },
    { header: 'STATUS', value: (m) => m.status },
    { header: 'PHASE', value: (m) => m.phase },
    { header: 'DONE', value: formatMigrationPercent, right: true },
    {
      header: 'KEYS',
      value: (m) => (m.totalKeys > 0 ? `${m.keysMigrated}/${m.totalKeys}` : String(m.keysMigrated)),
      right: true,
    },
    { header: 'RANGES', value: (m) => `${m.rangesDone}/${m.rangesTotal}`, right: true },
    { header: 'STARTED', value: (m) => isoSeconds(m.startedAtUnixMs) },
  ]);
}

/** Problems a table has no room for: errors and lost ranges, one line each. */
export function migrationNotes(migrations: readonly Migration[]): string[] {
  return migrations.flatMap((m) => [
    ...(m.errorMessage ? [`${m.migrationId}: ${m.errorMessage}`] : []),
    ...(m.lostRanges ? [`${m.migrationId} lost: ${m.lostRanges}`] : []),
  ]);
}

function isoSeconds(unixMs: number): string {
  return unixMs > 0 ? new Date(unixMs).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
