// A bad configuration value stops the real process before it serves anything: a non-zero exit,
// and stderr names the field, the value and where the value came from.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '@pairdb/test-ports';
import { coordinatorEnv, ServiceProcess, storageNodeEnv, type ServiceApp } from './service-process';

/** Loading the sources through swc takes seconds on a busy machine; a refusal is at once after. */
const EXIT_TIMEOUT_MS = 60_000;
jest.setTimeout(2 * EXIT_TIMEOUT_MS);

describe('a bad configuration value stops the real process, naming field, value and source', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'pairdb-bad-config-'));
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function refusal(app: ServiceApp, env: Record<string, string>) {
    const started = ServiceProcess.spawn(app, env);
    try {
      const exit = await started.waitForExit(EXIT_TIMEOUT_MS);
      return {
        exit,
        stderr: started.stderr,
        served: started.logs.some((l) => /serving/.test(String(l.msg))),
      };
    } finally {
      await started.kill();
    }
  }

  it('coordinator: an unparsable duration in PAIRDB_CONSISTENCY_WRITE_TIMEOUT', async () => {
    const env = coordinatorEnv('coord-bad', await freePort(), path.join(root, 'coord-a'));
    const { exit, stderr, served } = await refusal('coordinator', {
      ...env,
      PAIRDB_CONSISTENCY_WRITE_TIMEOUT: 'soon',
    });
    expect(served).toBe(false);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(stderr).toContain('consistency.write_timeout');
    expect(stderr).toContain('"soon"');
    expect(stderr).toContain('environment PAIRDB_CONSISTENCY_WRITE_TIMEOUT');
  });

  it('coordinator: a consistency level outside one|quorum|all in the YAML file', async () => {
    const file = path.join(root, 'coordinator.yaml');
    writeFileSync(file, 'consistency:\n  default_level: most\n');
    const env = coordinatorEnv('coord-bad', await freePort(), path.join(root, 'coord-b'));
    const { exit, stderr } = await refusal('coordinator', { ...env, PAIRDB_CONFIG: file });
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(stderr).toContain('consistency.default_level');
    expect(stderr).toContain('"most"');
    expect(stderr).toContain(file);
  });

  it('storage node: a port above 65535 in PAIRDB_SERVER_PORT', async () => {
    const env = storageNodeEnv('node-bad', 70_000, path.join(root, 'node-a'));
    const { exit, stderr, served } = await refusal('storage-node', env);
    expect(served).toBe(false);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(stderr).toContain('server.port');
    expect(stderr).toContain('70000');
    expect(stderr).toContain('environment PAIRDB_SERVER_PORT');
  });

  it('storage node: an unknown sync policy in the YAML file', async () => {
    const file = path.join(root, 'storage.yaml');
    writeFileSync(file, 'storage:\n  sync_policy: sometimes\n');
    const env = storageNodeEnv('node-bad', await freePort(), path.join(root, 'node-b'));
    const { exit, stderr } = await refusal('storage-node', { ...env, PAIRDB_CONFIG: file });
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(stderr).toContain('storage.sync_policy');
    expect(stderr).toContain('"sometimes"');
    expect(stderr).toContain(file);
  });
});
