// One child process of a local cluster: a coordinator or storage-node bundle run by this
// Node binary. Its output goes to a log file (JSON lines); the last lines are kept for a death
// report, and error-level records are passed on as they happen.
//
// Children run in their own process group (detached), so a terminal's Ctrl-C reaches only the
// supervisor, which then sends each child exactly one SIGTERM: a second signal would make a
// child skip its graceful drain.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Output lines kept for the report when a process dies. */
export const OUTPUT_TAIL_LINES = 12;
/** pino's "error" level: records at or above it are shown to the operator at once. */
const LOG_LEVEL_ERROR = 50;

export interface ProcessSpec {
  readonly name: string;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private readonly tail: string[] = [];
  /** Resolves when the current run ends. */
  exited: Promise<ExitInfo> = Promise.resolve({ code: 0, signal: null });

  constructor(
    readonly spec: ProcessSpec,
    private readonly onErrorRecord: (name: string, message: string) => void = () => undefined,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && !this.child.signalCode;
  }

  /** The last lines the process wrote, oldest first. */
  lastOutput(): string[] {
    return [...this.tail];
  }

  start(): void {
    this.tail.length = 0;
    this.log = createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [this.spec.script], {
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    const log = this.log;
    this.exited = new Promise((resolve) => {
      // 'close' comes after the output streams end, so the tail is complete.
      child.once('close', (code, signal) => {
        log.end();
        resolve({ code, signal });
      });
    });
    child.once('error', (error) => this.remember(`spawn failed: ${error.message}`));
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line, true));
    createInterface({ input: child.stderr! }).on('line', (line) => this.onLine(line, false));
  }

  /** Sends `signal` (once) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    if (this.running) this.child!.kill(signal);
    return this.exited;
  }

  private onLine(line: string, fromStdout: boolean): void {
    this.log?.write(`${line}\n`);
    const record = fromStdout ? parseRecord(line) : undefined;
    this.remember(record ? `${levelName(record.level)} ${record.message}` : line);
    if (record && record.level >= LOG_LEVEL_ERROR) {
      this.onErrorRecord(this.spec.name, record.message);
    }
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
  }
}

/** pino's numeric levels. */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? `level ${level}`;
}

function parseRecord(line: string): { level: number; message: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const record = JSON.parse(line) as {
      level?: unknown;
      msg?: unknown;
      err?: { message?: unknown };
    };
    if (typeof record.level !== 'number') return undefined;
    const detail = typeof record.err?.message === 'string' ? `: ${record.err.message}` : '';
    return { level: record.level, message: `${String(record.msg ?? '')}${detail}` };
  } catch {
    return undefined;
  }
}
