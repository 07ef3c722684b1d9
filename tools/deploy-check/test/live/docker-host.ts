// Whether this machine can run the container tests, decided when a test file loads: a Docker
// daemon that answers and docker-compose. Without them the tests skip, saying why, except
// under CI, where they fail instead (.ci/run installs both and starts the daemon).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { REPO_ROOT } from '../../src/manifests';

export type DockerPlan = { kind: 'run' } | { kind: 'skip' | 'fail'; reason: string };

function missing(): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
  if (info.error) return 'docker is not installed (Debian package docker.io)';
  if (info.status !== 0) return 'no Docker daemon answers (start dockerd)';
  if (spawnSync('docker-compose', ['version']).error)
    return 'docker-compose is not installed (Debian package docker-compose)';
  return undefined;
}

export function planDocker(): DockerPlan {
  const reason = missing();
  if (!reason) return { kind: 'run' };
  return process.env.CI === 'true' ? { kind: 'fail', reason } : { kind: 'skip', reason };
}

/** `it`, `it.skip` or a test that fails with the reason, per the plan. */
export function describeWithDocker(title: string, body: () => void): void {
  const plan = planDocker();
  if (plan.kind === 'run') {
    describe(title, body);
    return;
  }
  if (plan.kind === 'skip') {
    console.warn(`${title}: skipped: ${plan.reason}`);
    describe.skip(title, body);
    return;
  }
  describe(title, () => {
    it('has what it needs', () => {
      throw new Error(plan.reason);
    });
  });
}

/** Runs a command from the repository root; throws with its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): string {
  const result: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, DOCKER_BUILDKIT: '0', ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-40);
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output.join('\n')}`,
    );
  }
  return result.stdout;
}
