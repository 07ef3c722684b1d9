// Runs one `pairdb` command as a user would: a separate process, arguments, optional stdin;
// collects exit code, stdout (as bytes too) and stderr.
import { spawn } from 'node:child_process';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: Buffer | string;
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

/** A single command finishes in seconds; this only stops a hung one from hanging the suite. */
const RUN_TIMEOUT_MS_DEFAULT = 60_000;

export function runCli(main: string, args: readonly string[], options: RunOptions = {}) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pairdb ${args.join(' ')} did not finish`));
    }, options.timeoutMs ?? RUN_TIMEOUT_MS_DEFAULT);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(stdout);
      resolve({
        code,
        stdout: bytes.toString('utf8'),
        stdoutBytes: bytes,
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}
