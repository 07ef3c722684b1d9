// The storage-node image on its own, started by testcontainers (Ryuk off: this daemon runs no
// reaper image): it serves grpc.health.v1 and /readyz on the ports its Dockerfile exposes, runs
// as the non-root user, keeps its data in /data and stops cleanly on SIGTERM.
import { spawnSync } from 'node:child_process';
import { checkHealth, STORAGE_SERVICE_NAME } from '@pairdb/proto';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { describeWithDocker } from './docker-host';
import { IMAGES } from './global-setup';

process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
jest.setTimeout(120_000);

describeWithDocker('the storage-node image under testcontainers', () => {
  let container: StartedTestContainer;

  beforeAll(async () => {
    container = await new GenericContainer(IMAGES.storageNode)
      .withEnvironment({ PAIRDB_NODE_ID: 'image-test' })
      .withExposedPorts(50052, 9091)
      .withWaitStrategy(Wait.forHttp('/readyz', 9091).forStatusCode(200))
      .withStartupTimeout(60_000)
      .start();
  });

  afterAll(async () => {
    await container?.stop().catch(() => undefined);
  });

  it('answers grpc.health.v1 SERVING for the storage service on its gRPC port', async () => {
    const address = `127.0.0.1:${container.getMappedPort(50052)}`;
    expect(await checkHealth(address, STORAGE_SERVICE_NAME)).toBe('SERVING');
    expect(await checkHealth(address, '')).toBe('SERVING');
  });

  it('is ready on /readyz with registration off, and its metrics name the node', async () => {
    const base = `http://127.0.0.1:${container.getMappedPort(9091)}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { engine: 'open', grpc: 'serving', registration: 'off' },
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('storage_');
  });

  it('runs as uid 1000 and writes its engine files into /data', async () => {
    const user = await container.exec(['id', '-u']);
    expect(user.output.trim()).toBe('1000');
    const files = await container.exec(['ls', '/data']);
    expect(files.exitCode).toBe(0);
    expect(files.output).toMatch(/MANIFEST|\.log|LAYOUT|CURRENT/);
  });

  it('drains and exits 0 on SIGTERM (the image’s STOPSIGNAL)', async () => {
    const id = container.getId();
    const stopped = await container.stop({ remove: false, timeout: 30_000 });
    const state = spawnSync('docker', ['inspect', '--format', '{{.State.ExitCode}}', id], {
      encoding: 'utf8',
    });
    spawnSync('docker', ['rm', '-f', id]);
    expect(stopped.getId()).toBe(id);
    expect(state.stdout.trim()).toBe('0');
  });
});
