// The /metrics page passes `promtool check metrics` (Prometheus' own linter).
import { spawnSync } from 'node:child_process';
import type { StorageNode } from '../../src/node';
import { dot, TestStorageClient } from '../support/storage-client';
import { removeDir, startTestNode, tempDir } from '../support/test-node';

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('storage node metrics', () => {
  if (!promtool) {
    if (process.env['CI'])
      throw new Error('promtool is required in CI (Debian package prometheus)');
    it.skip('promtool is not installed here (apt-get install prometheus): skipped', () =>
      undefined);
    return;
  }
  let dir: string;
  let node: StorageNode;
  beforeAll(async () => {
    dir = tempDir();
    node = await startTestNode({ dataDir: dir });
  });
  afterAll(async () => {
    await node.stop();
    removeDir(dir);
  });

  it('pass promtool check metrics after some traffic', async () => {
    const client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    await client.write({ tenantId: 't', key: 'k', value: Buffer.from('v'), dot: dot('c', 1) });
    await client.read('t', 'k');
    client.close();
    const page = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
    const result = spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
