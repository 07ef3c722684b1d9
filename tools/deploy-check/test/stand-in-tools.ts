// Stand-ins for minikube, kubectl, docker and pairdb: small scripts on a PATH of their own that
// append their arguments to a log and answer as a test tells them, so the deploy scripts run
// without a cluster. Only the few system tools the scripts and stand-ins use are linked in, so
// a real kubectl elsewhere on the machine is never reached.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const SYSTEM_TOOLS = ['bash', 'cat', 'dirname', 'sleep', 'timeout', 'touch', 'env'];

const STAND_INS: Record<string, string> = {
  minikube: `
case "$1" in
  status) [ -e "$STATE/minikube-running" ] ;;
  start) touch "$STATE/minikube-running" ;;
  *) exit 0 ;;
esac`,
  kubectl: `
case "$*" in
  *"rollout status"*) [ -z "\${HANG_ROLLOUT:-}" ] || exec sleep 600 ;;
  *port-forward*) touch "$STATE/forward-$PPID"; exec sleep 60 ;;
esac
exit 0`,
  docker: 'exit 0',
  pairdb: `
case "$3" in
  # Answers only once the deploy script (the parent) has its port-forward running.
  node) [ -e "$STATE/forward-$PPID" ] || exit 6 ;;
  tenant) [ ! -e "$STATE/tenant" ] || exit 5; touch "$STATE/tenant" ;;
  get) echo "\${PAIRDB_GET_ANSWER:-ok}" ;;
esac
exit 0`,
};

export interface StandIns {
  /** The calls made so far, one "tool args..." line each. */
  calls(): string[];
  run(
    script: string,
    env?: Record<string, string>,
  ): { status: number | null; stderr: string; stdout: string };
  remove(): void;
}

/** `without` leaves those stand-ins out: the script must name them as missing. */
export function standIns(repoRoot: string, without: readonly string[] = []): StandIns {
  const dir = mkdtempSync(path.join(tmpdir(), 'pairdb-stand-ins-'));
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'state');
  mkdirSync(bin);
  mkdirSync(state);
  const log = path.join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const tool of SYSTEM_TOOLS) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], {
      encoding: 'utf8',
    }).stdout.trim();
    symlinkSync(found, path.join(bin, tool));
  }
  for (const [tool, body] of Object.entries(STAND_INS)) {
    if (without.includes(tool)) continue;
    const script = `#!/bin/bash\necho "${tool} $*" >> "$CALLS_LOG"\n${body}\n`;
    writeFileSync(path.join(bin, tool), script, { mode: 0o755 });
  }
  return {
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== ''),
    run: (script, env = {}) => {
      const result = spawnSync('/bin/bash', [path.join(repoRoot, script)], {
        env: { PATH: bin, CALLS_LOG: log, STATE: state, HOME: dir, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { status: result.status, stderr: result.stderr, stdout: result.stdout };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
