import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../src/manifests';
import { standIns, type StandIns } from './stand-in-tools';

const DEPLOY = 'local-setup/scripts/deploy-local.sh';
const CLEANUP = 'local-setup/scripts/cleanup-local.sh';
const K8S = `${REPO_ROOT}/local-setup/k8s`;

jest.setTimeout(60_000);

const FORWARD = 'kubectl -n pairdb port-forward service/coordinator 50051:50051';

/**
 * The calls with the port-forward checked apart: it runs in the background, so its line may
 * land before or after the first `pairdb node list`, which the script repeats until the
 * forward answers (the stand-in answers once the forward has started): repeats count once.
 */
function foreground(calls: readonly string[]): string[] {
  const forward = calls.indexOf(FORWARD);
  const lastRollout = calls.map((c) => c.includes('rollout status')).lastIndexOf(true);
  expect(forward).toBeGreaterThan(lastRollout);
  return calls
    .filter((c) => c !== FORWARD)
    .filter((c, i, all) => !(c.endsWith(' node list') && all[i - 1] === c));
}

describe('deploy-local.sh against stand-in tools', () => {
  let tools: StandIns;
  afterEach(() => tools.remove());

  const firstRun = [
    'minikube status',
    'minikube start',
    `minikube image build -t pairdb/coordinator:local -f apps/coordinator/Dockerfile ${REPO_ROOT}`,
    `minikube image build -t pairdb/storage-node:local -f apps/storage-node/Dockerfile ${REPO_ROOT}`,
    `kubectl apply -k ${K8S}`,
    'kubectl -n pairdb rollout status statefulset/postgres --timeout=300s',
    'kubectl -n pairdb rollout status deployment/redis --timeout=300s',
    'kubectl -n pairdb rollout status deployment/coordinator --timeout=300s',
    'kubectl -n pairdb rollout status statefulset/storage-node --timeout=300s',
    'pairdb --address 127.0.0.1:50051 node list',
    'pairdb --address 127.0.0.1:50051 tenant create smoke --replication-factor 3',
    'pairdb --address 127.0.0.1:50051 put smoke deploy-check ok',
    'pairdb --address 127.0.0.1:50051 get smoke deploy-check',
  ];

  it('starts minikube, builds, applies, waits for each rollout in order, then the smoke test', () => {
    tools = standIns(REPO_ROOT);
    const run = tools.run(DEPLOY);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(foreground(tools.calls())).toEqual(firstRun);
    expect(run.stdout).toContain('smoke test passed');
  });

  it('a re-run changes nothing: minikube is not started again, the tenant is found', () => {
    tools = standIns(REPO_ROOT);
    expect(tools.run(DEPLOY).status).toBe(0);
    const before = tools.calls().length;
    const again = tools.run(DEPLOY);
    expect(again.status).toBe(0);
    expect(foreground(tools.calls().slice(before))).toEqual(
      firstRun.filter((c) => c !== 'minikube start'),
    );
  });

  it.each(['kubectl', 'minikube', 'pairdb', 'docker'])(
    'names a missing %s and runs nothing',
    (tool) => {
      tools = standIns(REPO_ROOT, [tool]);
      const run = tools.run(DEPLOY);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`missing tool: ${tool} (`);
      expect(tools.calls()).toEqual([]);
    },
  );

  it('a rollout that never finishes ends at its timeout, before any smoke test', () => {
    tools = standIns(REPO_ROOT);
    const run = tools.run(DEPLOY, { HANG_ROLLOUT: '1', PAIRDB_ROLLOUT_TIMEOUT_SECONDS: '1' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('statefulset/postgres did not finish rolling out within 1s');
    expect(tools.calls().at(-1)).toBe(
      'kubectl -n pairdb rollout status statefulset/postgres --timeout=1s',
    );
  });

  it('fails when the smoke test reads back something else', () => {
    tools = standIns(REPO_ROOT);
    const run = tools.run(DEPLOY, { PAIRDB_GET_ANSWER: 'stale' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("smoke test read back 'stale', not 'ok'");
  });
});

describe('cleanup-local.sh against stand-in tools', () => {
  let tools: StandIns;
  afterEach(() => tools.remove());

  it('deletes the manifests, the namespace and the images deploy-local.sh built', () => {
    tools = standIns(REPO_ROOT);
    expect(tools.run(DEPLOY).status).toBe(0);
    const before = tools.calls().length;
    const run = tools.run(CLEANUP);
    expect(run.status).toBe(0);
    expect(tools.calls().slice(before)).toEqual([
      'minikube status',
      `kubectl delete -k ${K8S} --ignore-not-found --wait=true --timeout=180s`,
      'kubectl delete namespace pairdb --ignore-not-found --wait=true --timeout=180s',
      'minikube image rm pairdb/coordinator:local',
      'minikube image rm pairdb/storage-node:local',
    ]);
  });

  it('with minikube stopped there is nothing to remove', () => {
    tools = standIns(REPO_ROOT);
    const run = tools.run(CLEANUP);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('nothing to remove');
    expect(tools.calls()).toEqual(['minikube status']);
  });

  it('names a missing kubectl', () => {
    tools = standIns(REPO_ROOT, ['kubectl']);
    const run = tools.run(CLEANUP);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('missing tool: kubectl');
  });
});

describe('shellcheck', () => {
  const installed = spawnSync('shellcheck', ['--version']).status === 0;
  // CI installs it (.ci/run); a machine without it skips, saying so.
  const runIt = installed || process.env.CI === 'true' ? it : it.skip;
  if (!installed && process.env.CI !== 'true') {
    console.warn('shellcheck is not installed (Debian package shellcheck): skipping it');
  }

  runIt('finds nothing in the deploy scripts', () => {
    const result = spawnSync('shellcheck', [DEPLOY, CLEANUP], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
