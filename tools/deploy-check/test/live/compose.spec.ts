// local-setup/docker-compose.yml for real, with docker-compose: the stack comes up healthy, the
// pairdb CLI writes and reads through each coordinator's published port, a storage node
// SIGKILLed (its process, as a crash would) leaves QUORUM writes going and comes back, both by
// `docker-compose start` and by its restart policy, and `down -v` leaves nothing behind.
import { freePortBlock } from '@pairdb/test-ports';
import { COMPOSE_FILE } from '../../src/compose-file';
import { describeWithDocker, run } from './docker-host';

jest.setTimeout(300_000);

const project = `pairdb-test-${process.pid}`;
const SERVICES = [
  'postgres',
  'redis',
  'coordinator-1',
  'coordinator-2',
  'storage-node-0',
  'storage-node-1',
  'storage-node-2',
];

describeWithDocker('the docker-compose stack', () => {
  let env: NodeJS.ProcessEnv;
  const grpcPorts: number[] = [];

  const compose = (...args: string[]) =>
    run('docker-compose', ['-f', COMPOSE_FILE, '-p', project, ...args], {
      env,
      timeoutMs: 240_000,
    });
  const containerOf = (service: string) => compose('ps', '-q', service).trim();
  const inspect = (service: string, format: string) =>
    run('docker', ['inspect', '--format', format, containerOf(service)]).trim();
  const pairdb = (coordinator: number, ...args: string[]) =>
    run('node', ['apps/cli/dist/main.js', '-a', `127.0.0.1:${grpcPorts[coordinator]}`, ...args], {
      timeoutMs: 30_000,
    });
  /** Docker's view of each service: its health, or its state when it has no health check. */
  const states = () =>
    SERVICES.map(
      (service) =>
        `${service}=${inspect(service, '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}')}`,
    );

  async function waitUntil(what: string, check: () => boolean, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (check()) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    throw new Error(`${what}: not within ${timeoutMs / 1000} s (${states().join(', ')})`);
  }
  const allHealthy = () => states().every((state) => state.endsWith('=healthy'));

  beforeAll(async () => {
    const first = await freePortBlock(6);
    env = {};
    ['1', '2'].forEach((n, i) => {
      env[`COORDINATOR_${n}_GRPC_PORT`] = String(first + 3 * i);
      env[`COORDINATOR_${n}_HTTP_PORT`] = String(first + 3 * i + 1);
      env[`COORDINATOR_${n}_METRICS_PORT`] = String(first + 3 * i + 2);
      grpcPorts.push(first + 3 * i);
    });
    // Images come from the global set-up; --no-build keeps compose from building them again.
    compose('up', '-d', '--no-build');
    await waitUntil('every service healthy', allHealthy);
  });

  afterAll(() => {
    if (!env) return;
    try {
      if (!allHealthy()) console.log(compose('logs', '--no-color', '--tail', '30'));
    } catch {
      // The stack may be gone already (the last test takes it down).
    }
    compose('down', '-v', '--remove-orphans');
  });

  it('serves a tenant through both coordinators: written through one, read through the other', () => {
    pairdb(0, 'tenant', 'create', 'compose', '--replication-factor', '3');
    pairdb(0, 'put', 'compose', 'written-via-1', 'one');
    pairdb(1, 'put', 'compose', 'written-via-2', 'two');
    expect(pairdb(1, 'get', 'compose', 'written-via-1')).toBe('one');
    expect(pairdb(0, 'get', 'compose', 'written-via-2')).toBe('two');
    // Every node registered itself under its service name; nothing else was added by hand.
    const nodes = JSON.parse(pairdb(0, 'node', 'list', '--json')) as Array<{
      nodeId: string;
      host: string;
      status: string;
    }>;
    expect(nodes.map((n) => `${n.nodeId}@${n.host}:${n.status}`).sort()).toEqual([
      'storage-node-0@storage-node-0:active',
      'storage-node-1@storage-node-1:active',
      'storage-node-2@storage-node-2:active',
    ]);
    // Names the host cannot resolve: the coordinator probes them for `pairdb status`.
    expect(pairdb(1, 'status')).toContain('3 storage nodes registered, 3 in the ring, 3 up');
  });

  it('keeps QUORUM writes going while a storage node is SIGKILLed, and the node comes back', async () => {
    const node = containerOf('storage-node-1');
    // First with its restart policy off, so the writes below surely meet it down.
    run('docker', ['update', '--restart', 'no', node]);
    run('kill', ['-KILL', inspect('storage-node-1', '{{.State.Pid}}')]);
    await waitUntil(
      'storage-node-1 down',
      () => inspect('storage-node-1', '{{.State.Running}}') === 'false',
      10_000,
    );
    expect(inspect('storage-node-1', '{{.State.ExitCode}}')).toBe('137');

    for (let i = 0; i < 10; i++) {
      expect(
        pairdb(i % 2, 'put', '-c', 'quorum', 'compose', `while-down-${i}`, `value-${i}`),
      ).toContain('OK');
    }
    expect(inspect('storage-node-1', '{{.State.Running}}')).toBe('false');

    run('docker', ['update', '--restart', 'unless-stopped', node]);
    compose('start', 'storage-node-1');
    await waitUntil('storage-node-1 healthy after start', allHealthy);

    // Then as a crash with the policy on: Docker starts it again by itself.
    run('kill', ['-KILL', inspect('storage-node-1', '{{.State.Pid}}')]);
    await waitUntil(
      'storage-node-1 restarted by its policy',
      () => inspect('storage-node-1', '{{.RestartCount}}') === '1',
      30_000,
    );
    await waitUntil('storage-node-1 healthy after restart', allHealthy);

    // ALL needs the restarted node's answer too.
    for (let i = 0; i < 10; i++) {
      expect(pairdb(i % 2, 'get', '-c', 'all', 'compose', `while-down-${i}`)).toBe(`value-${i}`);
    }
  });

  it('down -v removes every container, network and volume of the project', () => {
    compose('down', '-v', '--remove-orphans');
    const label = `label=com.docker.compose.project=${project}`;
    expect(run('docker', ['ps', '-a', '-q', '--filter', label]).trim()).toBe('');
    expect(run('docker', ['network', 'ls', '-q', '--filter', label]).trim()).toBe('');
    expect(run('docker', ['volume', 'ls', '-q', '--filter', label]).trim()).toBe('');
  });
});
