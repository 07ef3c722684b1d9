// A storage node process under concurrent writes is killed with SIGKILL; after a restart on the
// same data dir every write it acknowledged is there, with the value written, and nothing else.
// The kill moments come from a printed seed; PAIRDB_TEST_SEED=<seed> replays them.
import { dot, LWW, TestStorageClient, values } from '../support/storage-client';
import { spawnNodeProcess } from '../support/node-process';
import { removeDir, tempDir } from '../support/test-node';
import { SeededRandom, testSeed } from '@pairdb/test-seed';

const ROUNDS = 3;
const WRITERS = 16;
const MEMTABLE_BYTES = '256KiB';
/**
 * Each round waits for ACKS_BEFORE_KILL_MIN acknowledged writes (so a busy machine still tests
 * something), then writes for KILL_AFTER_MS_MIN plus up to KILL_WINDOW_MS before the kill.
 */
const ACKS_BEFORE_KILL_MIN = 40;
const ACKS_WAIT_MS_MAX = 30_000;
const KILL_AFTER_MS_MIN = 300;
const KILL_WINDOW_MS = 700;

describe('storage node process killed with SIGKILL under concurrent writes', () => {
  const dir = tempDir('pairdb-crash-');
  afterAll(() => removeDir(dir));

  it(`keeps every acknowledged write across ${ROUNDS} kills (sync=always)`, async () => {
    const random = new SeededRandom(testSeed('storage node process crash'));
    const acknowledged = new Map<string, string>();
    let counter = 1;
    for (let round = 0; round < ROUNDS; round++) {
      const node = await spawnNodeProcess(dir, {
        PAIRDB_STORAGE_MEMTABLE_BYTES_MAX: MEMTABLE_BYTES,
      });
      const client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
      let stop = false;
      let roundAcks = 0;
      const writer = async (w: number) => {
        while (!stop) {
          const key = `r${round}-w${w}-${counter++}`;
          const value = `${key}:${'x'.repeat(200)}`;
          try {
            await client.write({
              tenantId: 'crash',
              key,
              value: Buffer.from(value),
              dot: dot('c1', counter),
              conflictPolicy: LWW,
            });
            acknowledged.set(key, value);
            roundAcks++;
          } catch {
            return; // the process is gone
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      const waitUntil = Date.now() + ACKS_WAIT_MS_MAX;
      while (roundAcks < ACKS_BEFORE_KILL_MIN && Date.now() < waitUntil) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const killAfterMs = KILL_AFTER_MS_MIN + random.next() * KILL_WINDOW_MS;
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      node.child.kill('SIGKILL');
      expect(await node.exited).toBe('SIGKILL');
      stop = true;
      await Promise.all(writers);
      client.close();
    }
    expect(acknowledged.size).toBeGreaterThan(100);

    const node = await spawnNodeProcess(dir);
    const client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    try {
      const missing: string[] = [];
      for (const [key, value] of acknowledged) {
        const read = await client.read('crash', key);
        if (!read.found) missing.push(key);
        else expect(values(read.versions)).toEqual([value]);
      }
      expect(missing).toEqual([]);
      const all = await client.scanRange({ range: { start: 0n, end: 0n }, tenantId: 'crash' });
      for (const entry of all) {
        expect(values(entry.versions)[0]).toMatch(new RegExp(`^${entry.key}:x{200}$`));
      }
      console.log(
        `process crash: ${ROUNDS} SIGKILLs, ${acknowledged.size} acknowledged writes, ${all.length} keys after restart`,
      );
    } finally {
      client.close();
      node.child.kill('SIGTERM');
      await node.exited;
    }
  }, 120_000);
});
