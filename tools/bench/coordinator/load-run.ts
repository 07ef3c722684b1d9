// One load run: a plan sent to a fresh load-generator process (load-generator.ts), and the CPU
// each group of server processes used while its measured window was open.
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { killOnExit } from './exit-cleanup';
import { startCpuWindow, type CpuGroups } from './process-cpu';
import type { CpuCores } from './report';
import type { LoadMessage, LoadPlan, LoadResult } from './workload';

const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');
const TS_EXEC_ARGV = ['--require', '@swc-node/register'];
/** Beyond warm-up and window, a load run gets this long to finish its last calls and report. */
const LOAD_RUN_SLACK_MS = 30_000;

export class LoadRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadRunError';
  }
}

/** A child process running one of this folder's TypeScript files, with an IPC channel. */
export function forkTypeScript(file: string, args: readonly string[] = []): ChildProcess {
  const child = fork(path.join(__dirname, file), args, {
    execArgv: TS_EXEC_ARGV,
    env: {
      ...process.env,
      SWC_NODE_PROJECT: path.join(WORKSPACE_ROOT, 'tsconfig.base.json'),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  killOnExit(child);
  return child;
}

/** What one load run measured, and the CPU cores each group of processes used meanwhile. */
export interface MeasuredRun {
  readonly result: LoadResult;
  readonly cpuCores: CpuCores;
}

/** Called as the measured window opens and as it closes. */
export interface WindowHooks {
  opened(): void;
  closed(): void;
}

/** Runs one plan in a fresh load-generator process; `servers` are the process groups whose
 * CPU is measured beside the load generator's own. */
export function runLoad(
  plan: LoadPlan,
  servers: CpuGroups,
  window?: WindowHooks,
): Promise<MeasuredRun> {
  const child = forkTypeScript('load-generator.ts');
  const groups: CpuGroups = { ...servers, loadGenerator: [child.pid!] };
  let closeWindow: (() => Record<string, number | null>) | undefined;
  let cpuCores: CpuCores = {};
  return new Promise<MeasuredRun>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new LoadRunError(`${plan.workload}/${plan.clients} did not finish`));
      },
      plan.warmupMs + plan.durationMs + LOAD_RUN_SLACK_MS,
    );
    child.on('message', (message: LoadMessage) => {
      if (message.kind === 'window-open') {
        closeWindow = startCpuWindow(groups);
        window?.opened();
      }
      if (message.kind === 'window-closed' && closeWindow) {
        cpuCores = closeWindow();
        window?.closed();
      }
      if (message.kind === 'result') {
        clearTimeout(timer);
        resolve({ result: message.result, cpuCores });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new LoadRunError(`${plan.workload}/${plan.clients}: load generator exited ${code}`));
    });
    child.send(plan);
  });
}
