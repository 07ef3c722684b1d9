// CPU time of other processes, from Linux's /proc/<pid>/stat, to say which process of the
// cluster is the bottleneck of a run. Elsewhere (no /proc) every reading is undefined.
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat, 100 on every Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;
/** Fields of /proc/<pid>/stat after the `(comm)` field, 0-based: state is 0, utime 11. */
const UTIME_FIELD = 11;
const STIME_FIELD = 12;

/** User plus system CPU seconds the process has used so far; undefined if unreadable. */
export function cpuSecondsOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[UTIME_FIELD]) + Number(fields[STIME_FIELD]);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
}

/** Named groups of processes whose CPU use is measured over one window. */
export type CpuGroups = Record<string, readonly number[]>;

function totals(groups: CpuGroups): Map<string, number | undefined> {
  return new Map(
    Object.entries(groups).map(([name, pids]) => {
      const readings = pids.map(cpuSecondsOf);
      const complete = readings.every((seconds) => seconds !== undefined);
      return [name, complete ? readings.reduce((sum, s) => sum! + s!, 0) : undefined];
    }),
  );
}

/** Starts a window; the function it returns ends it and gives cores used per group. */
export function startCpuWindow(groups: CpuGroups): () => Record<string, number | null> {
  const before = totals(groups);
  const startedMs = performance.now();
  return () => {
    const after = totals(groups);
    const seconds = (performance.now() - startedMs) / 1_000;
    const cores: Record<string, number | null> = {};
    for (const [name, start] of before) {
      const end = after.get(name);
      cores[name] = start === undefined || end === undefined ? null : (end - start) / seconds;
    }
    return cores;
  };
}
