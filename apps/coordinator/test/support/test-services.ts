// Real PostgreSQL and Redis for integration tests (docs/architecture.md#tests):
// - the URL in PAIRDB_TEST_PG_URL / PAIRDB_TEST_REDIS_URL when set;
// - else a throwaway postgres:15 / redis:7 container through testcontainers when Docker runs;
// - else the suite is skipped with a console message, except under CI (env CI set), where
//   the suite fails instead: CI never silently skips its integration tests.
import { spawnSync } from 'node:child_process';

/** How long `docker info` may take to say whether a daemon runs. */
const DOCKER_PROBE_TIMEOUT_MS = 10_000;
/** Pulling an image on a cold machine is slow; starting one is not. */
export const CONTAINER_START_TIMEOUT_MS = 180_000;

export interface ServiceSpec {
  /** For messages: 'PostgreSQL' or 'Redis'. */
  label: string;
  urlVariable: string;
  image: string;
  containerPort: number;
  environment?: Record<string, string>;
  /** A log line the container prints when it accepts connections, and how many times. */
  readyLog: RegExp;
  readyLogTimes?: number;
  /** Builds the service URL from the container's mapped host and port. */
  urlFor(host: string, port: number): string;
}

export type ServicePlan =
  | { kind: 'url'; url: string }
  | { kind: 'docker' }
  | { kind: 'skip'; reason: string }
  | { kind: 'fail'; reason: string };

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

let dockerAnswer: boolean | undefined;

function dockerIsRunning(): boolean {
  if (dockerAnswer === undefined) {
    const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
      timeout: DOCKER_PROBE_TIMEOUT_MS,
      stdio: 'ignore',
    });
    dockerAnswer = probe.status === 0;
  }
  return dockerAnswer;
}

/** Decided when the test file loads, so the suite can be declared skipped or failing. */
export function planService(spec: ServiceSpec): ServicePlan {
  const url = process.env[spec.urlVariable];
  if (url) return { kind: 'url', url };
  if (dockerIsRunning()) return { kind: 'docker' };
  const reason = `${spec.label} tests need ${spec.urlVariable} or a running Docker daemon`;
  return process.env.CI ? { kind: 'fail', reason } : { kind: 'skip', reason };
}

/**
 * `describe` for a suite that needs the service: runs it, skips it with a message, or (in CI)
 * replaces it with one failing test that says what is missing.
 */
export function describeWithService(name: string, plan: ServicePlan, suite: () => void): void {
  if (plan.kind === 'skip') {
    console.warn(`SKIPPED "${name}": ${plan.reason} (set the variable to run it)`);
    describe.skip(name, suite);
    return;
  }
  if (plan.kind === 'fail') {
    describe(name, () => {
      it('has a real server to test against (CI never skips)', () => {
        throw new Error(`${plan.reason}; CI is set, so this suite fails instead of skipping`);
      });
    });
    return;
  }
  describe(name, suite);
}

/** Starts the planned service (a container only for the 'docker' plan). */
export async function startService(spec: ServiceSpec, plan: ServicePlan): Promise<RunningService> {
  if (plan.kind === 'url') return { url: plan.url, stop: async () => undefined };
  if (plan.kind !== 'docker') throw new Error(`no ${spec.label} to start: ${plan.kind}`);
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(spec.image)
    .withEnvironment(spec.environment ?? {})
    .withExposedPorts(spec.containerPort)
    .withWaitStrategy(Wait.forLogMessage(spec.readyLog, spec.readyLogTimes ?? 1))
    .withStartupTimeout(CONTAINER_START_TIMEOUT_MS)
    .start();
  return {
    url: spec.urlFor(container.getHost(), container.getMappedPort(spec.containerPort)),
    stop: async () => {
      await container.stop();
    },
  };
}

export const POSTGRES_SERVICE: ServiceSpec = {
  label: 'PostgreSQL',
  urlVariable: 'PAIRDB_TEST_PG_URL',
  image: 'postgres:15',
  containerPort: 5432,
  environment: { POSTGRES_HOST_AUTH_METHOD: 'trust' },
  // The server restarts once after initdb: the second "ready" is the real one.
  readyLog: /database system is ready to accept connections/,
  readyLogTimes: 2,
  urlFor: (host, port) => `postgres://postgres@${host}:${port}/postgres`,
};

export const REDIS_SERVICE: ServiceSpec = {
  label: 'Redis',
  urlVariable: 'PAIRDB_TEST_REDIS_URL',
  image: 'redis:7',
  containerPort: 6379,
  readyLog: /Ready to accept connections/,
  urlFor: (host, port) => `redis://${host}:${port}`,
};
