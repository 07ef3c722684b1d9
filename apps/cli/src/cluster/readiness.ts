// Waiting for a child's HTTP health endpoint (/healthz, /readyz) to answer 200, while watching
// that the child is still alive.
import { CommandError } from '../exit-codes';
import { describeExit, type ExitInfo } from './managed-process';

/** Between two polls: fast enough that start-up feels immediate, cheap for the child. */
export const POLL_INTERVAL_MS = 200;
/** One poll's deadline: a healthy process answers in milliseconds. */
const REQUEST_TIMEOUT_MS = 2_000;

export class StartFailedError extends CommandError {
  constructor(name: string, reason: string, output: readonly string[]) {
    super(
      `${name} did not start: ${reason}` +
        (output.length > 0 ? `\nlast output of ${name}:\n  ${output.join('\n  ')}` : ''),
    );
    this.name = 'StartFailedError';
  }
}

export interface Probe {
  readonly ok: boolean;
  readonly body: string;
}

export async function probeHttp(url: string): Promise<Probe> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { ok: response.status === 200, body: await response.text() };
  } catch (error) {
    return { ok: false, body: (error as Error).message };
  }
}

export interface WaitOptions {
  readonly name: string;
  readonly url: string;
  readonly timeoutMs: number;
  readonly exited: Promise<ExitInfo>;
  readonly lastOutput: () => string[];
}

/** Resolves once `url` answers 200; fails if the process exits or the time runs out. */
export async function waitUntilHealthy(options: WaitOptions): Promise<void> {
  let exit: ExitInfo | undefined;
  void options.exited.then((info) => (exit = info));
  const deadline = Date.now() + options.timeoutMs;
  let last: Probe = { ok: false, body: 'no answer yet' };
  for (;;) {
    if (exit) {
      throw new StartFailedError(
        options.name,
        `it exited (${describeExit(exit)})`,
        options.lastOutput(),
      );
    }
    last = await probeHttp(options.url);
    if (last.ok) return;
    if (Date.now() >= deadline) {
      throw new StartFailedError(
        options.name,
        `${options.url} not healthy after ${options.timeoutMs} ms (${last.body})`,
        options.lastOutput(),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
