// How a repair (an anti-entropy pass, docs/architecture.md#anti-entropy) reads on a terminal: the
// line `pairdb repair` prints per change and `pairdb status` prints for the running pass, and a
// node's last repair as an age. Statuses stay strings: a newer server's values print as they are.
import type { Repair } from '@pairdb/client';

/** A repair in one of these states will not change any more. */
export const FINAL_REPAIR_STATUSES: ReadonlySet<string> = new Set(['completed', 'incomplete']);

export function isRepairFinished(repair: Repair): boolean {
  return FINAL_REPAIR_STATUSES.has(repair.status);
}

export function repairScope(repair: Repair): string {
  return repair.tenantId === '' ? 'every tenant' : `tenant ${repair.tenantId}`;
}

/** "repair rep-1 (every tenant): running, 12/349 ranges, 120 keys repaired". */
export function describeRepair(repair: Repair): string {
  const head = `repair ${repair.repairId} (${repairScope(repair)}): ${repair.status}`;
  if (repair.status === 'pending') return head;
  const ranges =
    repair.rangesTotal > 0 ? `, ${repair.rangesDone}/${repair.rangesTotal} ranges` : '';
  const took =
    isRepairFinished(repair) && repair.completedAtUnixMs >= repair.startedAtUnixMs
      ? ` in ${((repair.completedAtUnixMs - repair.startedAtUnixMs) / 1_000).toFixed(1)} s`
      : '';
  const why = repair.message ? `: ${repair.message}` : '';
  return `${head}${ranges}, ${repair.keysRepaired} keys repaired${took}${why}`;
}

/** How long ago, coarsely: "42s ago", "5m ago", "3h ago", "2d ago"; "never" for 0. */
export function formatAgo(unixMs: number, nowMs: number): string {
  if (unixMs <= 0) return 'never';
  const seconds = Math.max(0, Math.floor((nowMs - unixMs) / 1_000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 48 * 3_600) return `${Math.floor(seconds / 3_600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}
