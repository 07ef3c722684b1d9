// How long `pairdb` takes to answer (issue 15): wall time of --version, put and get against a
// running cluster, for the CLI before lazy loading (rebuilt from git, before-build.ts) and after
// it, run with node and through the fast path the README uses (node_modules/.bin/pairdb, linked
// by npm ci to apps/cli/bin/pairdb.js). Printed, never asserted (docs/architecture.md#tests).
//
//   npx nx run cli:bench -- [--runs N] [--address HOST:PORT] [--npx]
//
// Without --address it starts a local cluster of its own on free ports and stops it at the end.
// --npx adds `npx pairdb` rows (seconds each without the .bin link, so off by default).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { freePortBlock } from '@pairdb/test-ports';
import { BEFORE_COMMIT, buildBeforeCli } from './before-build';
import { measure, median, type Sample, type Variant } from './wall-time';

const ROOT = path.resolve(__dirname, '../../..');
const AFTER_MAIN = path.join(ROOT, 'apps/cli/dist/main.js');
const LAUNCHER = path.join(ROOT, 'apps/cli/bin/pairdb.js');
const LINKED_BIN = path.join(ROOT, 'node_modules/.bin/pairdb');
/** Enough runs for a stable median on a shared machine, few enough for a minute or two. */
const RUNS_DEFAULT = 10;
const RUNS_MAX = 1_000;
/** A fresh local cluster (PGlite initdb) on a busy machine. */
const CLUSTER_START_TIMEOUT_MS = 120_000;
const CLUSTER_STOP_TIMEOUT_MS = 60_000;
const NODES = 3;
/** The goal for get and put through the fast path. */
const TARGET_MS = 150;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: String(RUNS_DEFAULT) },
      address: { type: 'string' },
      npx: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > RUNS_MAX) {
    throw new Error(`--runs must be an integer from 1 to ${RUNS_MAX}, got ${values.runs}`);
  }
  if (!existsSync(AFTER_MAIN)) throw new Error(`${AFTER_MAIN} is missing: npx nx run cli:build`);
  const beforeDir = path.join(ROOT, 'tmp/bench-cli-before');
  const beforeMain = await buildBeforeCli(ROOT, beforeDir);
  const cluster = values.address ? undefined : await startCluster();
  const address = values.address ?? cluster!.address;
  try {
    const env = { ...process.env, PAIRDB_ADDRESS: address };
    console.log(`pairdb startup, ${runs} runs each, against ${address}; before = ${BEFORE_COMMIT}`);
    const fastPath = existsSync(LINKED_BIN) ? LINKED_BIN : LAUNCHER;
    const rows: [string, Sample][] = [];
    for (const [name, args] of commands()) {
      const variants: Variant[] = [
        { label: 'before: node dist/main.js', argv: [process.execPath, beforeMain, ...args] },
        { label: 'after: node dist/main.js', argv: [process.execPath, AFTER_MAIN, ...args] },
        { label: `after: ${path.relative(ROOT, fastPath)}`, argv: [fastPath, ...args] },
      ];
      if (values.npx) variants.push({ label: 'npx pairdb', argv: ['npx', 'pairdb', ...args] });
      if (name === '--version') {
        variants.unshift({ label: "bare node -e ''", argv: [process.execPath, '-e', ''] });
      }
      for (const sample of measure(variants, runs, env, ROOT)) rows.push([name, sample]);
    }
    console.log(renderTable(rows));
    console.log(`\ngoal: get and put under ${TARGET_MS} ms through the fast path`);
  } finally {
    await cluster?.stop();
    rmSync(beforeDir, { recursive: true, force: true });
  }
}

function commands(): [string, string[]][] {
  return [
    ['--version', ['--version']],
    ['put', ['put', 'default', 'bench-startup', 'value']],
    ['get', ['get', 'default', 'bench-startup']],
  ];
}

function renderTable(rows: readonly [string, Sample][]): string {
  const header = ['COMMAND', 'HOW', 'MEDIAN MS', 'MIN MS', 'MAX MS', 'FAILED'];
  const lines = rows.map(([name, sample]) => [
    name,
    sample.label,
    median(sample.runsMs).toFixed(0),
    Math.min(...sample.runsMs).toFixed(0),
    Math.max(...sample.runsMs).toFixed(0),
    String(sample.failures),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((l) => l[i]!.length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  return [format(header), ...lines.map(format)].join('\n');
}

interface RunningCluster {
  readonly address: string;
  stop(): Promise<void>;
}

/** `pairdb cluster start` (the after build) on free ports, in a temp dir removed at stop. */
async function startCluster(): Promise<RunningCluster> {
  const basePort = await freePortBlock(NODES + 1);
  const taken = new Set(Array.from({ length: NODES + 1 }, (_, i) => basePort + i));
  const metricsPort = await freePortBlock(NODES + 1, taken);
  for (let i = 0; i <= NODES; i++) taken.add(metricsPort + i);
  const httpPort = await freePortBlock(1, taken);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pairdb-bench-cli-'));
  const child = spawn(
    process.execPath,
    [
      AFTER_MAIN,
      'cluster',
      'start',
      ...['--data-dir', dataDir, '--nodes', String(NODES), '--base-port', String(basePort)],
      ...['--http-port', String(httpPort), '--metrics-port', String(metricsPort)],
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, PAIRDB_PG_URL: '' },
    },
  );
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const stop = async () => {
    signal(child, 'SIGINT');
    const timer = setTimeout(() => signal(child, 'SIGKILL'), CLUSTER_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForBanner(child, exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: `127.0.0.1:${basePort}`, stop };
}

function waitForBanner(child: ChildProcess, exited: Promise<void>): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the cluster did not start:\n${output}`)),
      CLUSTER_START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('PairDB is running.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`the cluster exited while starting:\n${output}`)));
  });
}

/** To the cluster's whole process group, as Ctrl-C in a terminal would. */
function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, name);
  } catch {
    // Already gone.
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
