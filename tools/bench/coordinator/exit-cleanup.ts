// What the benchmark started and must not leave behind if it dies (an error, Ctrl-C): every
// child process still running is SIGKILLed and every temp dir still present removed when this
// process exits. The normal path stops and removes them itself first.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const running = new Set<ChildProcess>();
const dirs = new Set<string>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

export function removeOnExit(dir: string): void {
  dirs.add(dir);
}

/** Removes `dir` now (a normal stop) and forgets it. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}
