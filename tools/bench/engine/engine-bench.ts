/**
 * Storage engine benchmark, db_bench style: `npx nx run storage-node:bench [-- --entries N]
 * [--json]`. Runs every workload on PairDB's engine and on classic-level (LevelDB) in the same
 * run, each engine and group of workloads in a child process of its own on a fresh directory
 * under the OS temp dir (removed afterwards), and prints a table (or, with --json, one object:
 * {"entries", "workloads": {name: {"pairdb", "reference", "ratio"}}, "peakRssBytes", ...}).
 * Progress goes to stderr. A benchmark, not a test: it asserts only that reads return the
 * right data.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EngineName } from './bench-store';
import {
  ChildPlan,
  ChildReport,
  DEFAULT_ENTRIES,
  GROUPS,
  WorkloadSizes,
  workloadSizes,
} from './bench-plan';
import { ENTRIES_MAX } from './data-generator';
import { formatReport, summarize } from './report';

/** Child entry beside this file: TypeScript when run from sources, JavaScript when bundled. */
const CHILD_ENTRY_CANDIDATES = ['bench-child.ts', 'bench-child.js'];
/** The reference runs first in each group, so PairDB never profits from a warmer machine. */
const ENGINE_ORDER: readonly EngineName[] = ['reference', 'pairdb'];

export class BenchChildError extends Error {
  override name = 'BenchChildError';
}

function childEntry(): string {
  for (const candidate of CHILD_ENTRY_CANDIDATES) {
    const file = path.join(__dirname, candidate);
    if (fs.existsSync(file)) return file;
  }
  throw new BenchChildError(`no ${CHILD_ENTRY_CANDIDATES.join(' or ')} beside ${__filename}`);
}

function runChild(plan: ChildPlan): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = fork(childEntry(), [JSON.stringify(plan)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: ChildReport | undefined;
    child.on('message', (message) => {
      report = message as ChildReport;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (report && code === 0) resolve(report);
      else {
        reject(new BenchChildError(`${plan.engine} ${plan.group} exited (${signal ?? code})`));
      }
    });
  });
}

async function runAll(sizes: WorkloadSizes): Promise<ChildReport[]> {
  const root = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'pairdb-engine-bench-'));
  const reports: ChildReport[] = [];
  try {
    for (const group of GROUPS) {
      for (const engine of ENGINE_ORDER) {
        const dir = path.join(root, `${engine}-${group}`);
        const started = performance.now();
        try {
          reports.push(await runChild({ engine, group, dir, sizes }));
        } finally {
          await fs.promises.rm(dir, { recursive: true, force: true });
        }
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.error(`engine-bench: ${group} on ${engine} done in ${seconds} s`);
      }
    }
  } finally {
    await fs.promises.rm(root, { recursive: true, force: true });
  }
  return reports;
}

function parseEntries(text: string | undefined): number {
  if (text === undefined) return DEFAULT_ENTRIES;
  const entries = Number(text);
  if (!Number.isSafeInteger(entries) || entries < 1 || entries > ENTRIES_MAX) {
    throw new RangeError(`--entries must be an integer in [1, ${ENTRIES_MAX}], got ${text}`);
  }
  return entries;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { entries: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const sizes = workloadSizes(parseEntries(values.entries));
  const started = performance.now();
  const loadBefore = os.loadavg()[0]!;
  const reports = await runAll(sizes);
  const summary = summarize(reports, sizes.entries);
  if (values.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const machine =
    `${os.cpus().length} cores, 1-minute load average ${loadBefore.toFixed(1)} at the start ` +
    `and ${os.loadavg()[0]!.toFixed(1)} at the end (other work on the machine skews both engines)`;
  console.log(
    formatReport(summary, reports, sizes, {
      totalSeconds: (performance.now() - started) / 1000,
      machine,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
