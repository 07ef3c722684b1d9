/**
 * Crash test: a child process (crash-writer.ts) writes concurrently under sync=always and is
 * SIGKILLed at a random moment, sometimes during its own recovery. After each kill the data
 * directory is reopened here and every key is checked against what the child printed:
 * - an acknowledged write is present: the key holds the last acknowledged value for it, or a
 *   value submitted after that one (a write may be durable before its acknowledgement);
 * - a key nobody acknowledged holds its value from before the round or any submitted value;
 * - no key holds a value that was never written, and every value is intact byte for byte.
 * Rounds share one directory, so later rounds also recover from files earlier crashes left.
 * What the child submitted and saw acknowledged is read from the log file it writes
 * synchronously (crash-writer.ts explains why not from its stdout) once it is dead.
 * Each test prints its seed; PAIRDB_TEST_SEED=<seed> replays every random choice (what the
 * children write, when they are killed).
 */
import { buildSync } from 'esbuild';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Engine } from '../../src/engine';
import { readManifest } from '../../src/engine/manifest';
import { SeededRandom, testSeed } from '@pairdb/test-seed';
import { crashImage, smallTree, temporaryDir } from './engine-fixture';

const ROUNDS = 24;
const READY_TIMEOUT_MS = 20_000;
/** Kill moments after READY are drawn from [0, KILL_WINDOW_MS). */
const KILL_WINDOW_MS = 400;
/** Kill moments of the rounds that die before READY are drawn from [0, EARLY_KILL_WINDOW_MS). */
const EARLY_KILL_WINDOW_MS = 300;
/**
 * How long the busy-parent round keeps this process from reading the child before killing it:
 * the writer logs thousands of lines meanwhile, so a record kept on stdout would lose its tail.
 */
const BUSY_PARENT_MS = 300;
/** A loaded machine writes slower: the busy parent blocks on until the log is that long. */
const BUSY_PARENT_MS_MAX = 10_000;
/** One late random-kill round waits (at most this long) until the tree has a second level. */
const LEVELS_WAIT_MS_MAX = 30_000;
/** Short lines a child's stdout socket takes while nobody reads it (~280 measured on Linux);
 * Node keeps the lines after these inside the child. */
const UNREAD_STDOUT_LINES = 300;

/**
 * The writer runs as an esbuild bundle laid out like the production build (the worker entry at
 * engine/compaction/engine-worker.js beside the main bundle): a bundled child starts in ~50 ms
 * where compiling the sources at start-up costs ~700 ms per round, and the round trip also
 * proves the engine finds its bundled worker.
 */
function bundleWriter(outdir: string): string {
  buildSync({
    entryPoints: [
      { in: path.join(__dirname, 'crash-writer.ts'), out: 'crash-writer' },
      {
        in: path.join(__dirname, '../../src/engine/compaction/engine-worker.ts'),
        out: 'engine/compaction/engine-worker',
      },
    ],
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  return path.join(outdir, 'crash-writer.js');
}

interface Submitted {
  valueId: string;
  /** -1: delete. */
  length: number;
}

interface RoundLog {
  ready: boolean;
  /** Per key, operations in submission order. */
  submitted: Map<string, Submitted[]>;
  /** Per key, the valueId of the last acknowledged operation. */
  lastAcked: Map<string, string>;
  /** Complete lines in the log. */
  lines: number;
  failure?: string;
}

/** The child's log; absent when it was killed before opening it. A torn last line is dropped. */
function readLog(logPath: string): RoundLog {
  const log: RoundLog = { ready: false, submitted: new Map(), lastAcked: new Map(), lines: 0 };
  const output = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'latin1') : '';
  const complete = output.slice(0, output.lastIndexOf('\n') + 1);
  for (const line of complete.split('\n')) {
    if (line !== '') log.lines++;
    const [tag, key, valueId, length] = line.split(' ');
    if (tag === 'READY') log.ready = true;
    else if (tag === 'FAILED') log.failure = line;
    else if (tag === 'S') {
      const list = log.submitted.get(key!) ?? [];
      list.push({ valueId: valueId!, length: Number(length) });
      log.submitted.set(key!, list);
    } else if (tag === 'A') {
      log.lastAcked.set(key!, valueId!);
    }
  }
  return log;
}

interface RoundOptions {
  /**
   * Kill the child as soon as it is READY, after blocking this process for this long (a parent
   * too loaded to read the child meanwhile). Default: no blocking, kill at a random moment.
   */
  busyParentMs?: number;
  /** Arm the kill only once the tree's manifest lists files on more than one level. */
  afterCompaction?: boolean;
}

function levelsOf(dir: string): number {
  return new Set((readManifest(dir)?.files ?? []).map((file) => file.level)).size;
}

function logLines(logPath: string): number {
  if (!fs.existsSync(logPath)) return 0;
  return fs.readFileSync(logPath, 'latin1').split('\n').length - 1;
}

/** Keeps this thread from running anything else, event loop included, for `ms`. */
function blockThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Spawns the writer, kills it at a moment drawn from `random` and returns its log; the writer
 * draws its operations from a stream derived from `random` too.
 */
function runRound(
  writer: string,
  dir: string,
  logPath: string,
  round: number,
  random: SeededRandom,
  options: RoundOptions = {},
): Promise<RoundLog> {
  fs.rmSync(logPath, { force: true });
  const writerSeed = String(random.derive(0));
  return new Promise((resolve, reject) => {
    const args = [writer, dir, String(round), logPath, writerSeed];
    const child: ChildProcess = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    let killed = false;
    const kill = (): void => {
      killed = true;
      child.kill('SIGKILL');
    };
    const readyTimer = setTimeout(kill, READY_TIMEOUT_MS);
    // Every fourth round dies before READY is seen: during start-up or recovery.
    if (round % 4 === 3) killTimer = setTimeout(kill, random.next() * EARLY_KILL_WINDOW_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killed || killTimer !== undefined || !stdout.includes('READY\n')) return;
      if (options.busyParentMs === undefined) {
        const delayMs = random.next() * KILL_WINDOW_MS;
        if (!options.afterCompaction) {
          killTimer = setTimeout(kill, delayMs);
          return;
        }
        const until = Date.now() + LEVELS_WAIT_MS_MAX;
        const arm = (): void => {
          if (levelsOf(dir) > 1 || Date.now() > until) killTimer = setTimeout(kill, delayMs);
          else setTimeout(arm, 50);
        };
        killTimer = setTimeout(arm, 0);
      } else {
        // Blocked, this process reads nothing from the child: at least busyParentMs, and on a
        // slow machine until the child has logged more lines than its stdout socket holds.
        const started = Date.now();
        blockThread(options.busyParentMs);
        while (
          logLines(logPath) <= UNREAD_STDOUT_LINES &&
          Date.now() - started < BUSY_PARENT_MS_MAX
        ) {
          blockThread(20);
        }
        kill();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    // 'exit' comes after the kernel reaped the child, so its pid no longer holds the lock and
    // its log is complete.
    child.on('exit', (code, signal) => {
      clearTimeout(readyTimer);
      clearTimeout(killTimer);
      const log = readLog(logPath);
      fs.rmSync(logPath, { force: true });
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer exited on its own (code ${code}): ${log.failure} ${stderr}`));
      } else {
        resolve(log);
      }
    });
  });
}

function expectedValue(entry: Submitted): string | undefined {
  return entry.length < 0 ? undefined : `${entry.valueId}|${'x'.repeat(entry.length)}`;
}

/** Values `key` may hold after the round, given its log and its value before the round. */
function allowedValues(log: RoundLog, key: string, before: string | undefined) {
  const submitted = log.submitted.get(key) ?? [];
  const acked = log.lastAcked.get(key);
  if (acked === undefined) return [before, ...submitted.map(expectedValue)];
  const from = submitted.findIndex((entry) => entry.valueId === acked);
  expect(from).toBeGreaterThanOrEqual(0);
  return submitted.slice(from).map(expectedValue);
}

/**
 * Checks what the round left in `dir` against its log, on a copy so the next child recovers
 * from exactly what this crash left; `state` (each key's value after the previous round) is
 * updated to the values found.
 */
async function verifyRound(
  dir: string,
  log: RoundLog,
  state: Map<string, string | undefined>,
): Promise<void> {
  const image = crashImage(dir, 'crash-image');
  const engine = await Engine.open(smallTree(image));
  try {
    for (const key of new Set([...state.keys(), ...log.submitted.keys()])) {
      const value = engine.get(Buffer.from(key))?.toString();
      expect(allowedValues(log, key, state.get(key))).toContain(value);
      state.set(key, value);
    }
    const scanned = [...engine.iterate()].map(([k, v]) => [k.toString(), v.toString()]);
    const live = [...state.entries()].filter(([, v]) => v !== undefined).sort();
    expect(scanned).toEqual(live);
  } finally {
    await engine.close();
    fs.rmSync(image, { recursive: true, force: true });
  }
}

describe('engine crash safety', () => {
  let dir: string;
  let logDir: string;
  let bundleDir: string;
  let writer: string;
  beforeAll(() => {
    logDir = temporaryDir('crash-logs');
    bundleDir = temporaryDir('crash-bundle');
    writer = bundleWriter(bundleDir);
  });
  beforeEach(() => {
    dir = temporaryDir('crash');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterAll(() => {
    fs.rmSync(logDir, { recursive: true, force: true });
    fs.rmSync(bundleDir, { recursive: true, force: true });
  });

  it(`every acknowledged write survives SIGKILL at random moments (${ROUNDS} rounds)`, async () => {
    const random = new SeededRandom(testSeed('engine crash safety, random kills'));
    const state = new Map<string, string | undefined>();
    let acknowledged = 0;
    let killedBeforeReady = 0;
    const levelsSeen = new Set<number>();
    for (let round = 0; round < ROUNDS; round++) {
      const roundRandom = new SeededRandom(random.derive(round));
      const logPath = path.join(logDir, `round-${round}.log`);
      // One late round outlives a compaction, so some crash surely meets a tree of several levels.
      const afterCompaction = round === ROUNDS - 2;
      const log = await runRound(writer, dir, logPath, round, roundRandom, { afterCompaction });
      expect(log.failure).toBeUndefined();
      if (!log.ready) killedBeforeReady++;
      for (const file of readManifest(dir)?.files ?? []) levelsSeen.add(file.level);
      acknowledged += log.lastAcked.size;
      await verifyRound(dir, log, state);
    }
    expect(acknowledged).toBeGreaterThan(ROUNDS);
    expect(killedBeforeReady).toBeLessThan(ROUNDS);
    // The children got far enough to flush and compact, so crashes hit those paths too.
    expect(levelsSeen.size).toBeGreaterThan(1);
  }, 180_000);

  // The writer once kept its record on stdout: a parent too loaded to read found values in the
  // engine that it had never seen submitted (the child held the tail when it was killed).
  it('a parent too busy to read the writer still sees every submission (busy parent)', async () => {
    const state = new Map<string, string | undefined>();
    const logPath = path.join(logDir, 'busy-parent.log');
    const random = new SeededRandom(testSeed('engine crash safety, busy parent'));
    const log = await runRound(writer, dir, logPath, 0, random, { busyParentMs: BUSY_PARENT_MS });
    expect(log.failure).toBeUndefined();
    expect(log.ready).toBe(true);
    expect(log.lines).toBeGreaterThan(UNREAD_STDOUT_LINES);
    expect(log.lastAcked.size).toBeGreaterThan(0);
    await verifyRound(dir, log, state);
  }, 60_000);
});
