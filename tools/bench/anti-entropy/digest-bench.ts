// Range digests on one storage node (docs/benchmarks.md#anti-entropy-range-digests), in process:
// a tenant of PAIRDB_BENCH_DIGEST_KEYS keys (default 100,000, 100-byte values) in an engine, and
// the RangeDigest answers of a whole pass: every range of a 3-node ring (HashRing.ranges at RF 3,
// default vnodes), all of which each node owns. Printed, never asserted (`npx nx run
// storage-node:bench-digests`):
// - scan: every piece read from the engine and hashed (the digest index not built; what every
//   pass cost before digests were kept incrementally, and what a node still costs while it
//   rebuilds its index after a restart);
// - index, cold: whole segments from the index, range edges scanned (the first pass after start);
// - index, warm: edges cached (every later pass over unchanged data);
// - the rebuild of the index from one engine scan.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HashRing } from '@pairdb/hashring';
import { VersionVector } from '@pairdb/vectorclock';
import { DigestIndex } from '../../../apps/storage-node/src/digests/digest-index';
import { Engine } from '../../../apps/storage-node/src/engine';
import { RangeDigests } from '../../../apps/storage-node/src/ranges/range-digest';
import { VersionStore } from '../../../apps/storage-node/src/versions/version-store';

const KEYS = Number(process.env['PAIRDB_BENCH_DIGEST_KEYS'] ?? 100_000);
const TENANT = 'bench';
const VALUE = Buffer.alloc(100, 7);
/** Writes in flight while loading. */
const LOAD_BATCH = 256;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pairdb-digest-bench-'));
  const engine = await Engine.open({ dir, syncPolicy: 'none', diskFreeBytesMin: 0 });
  const index = new DigestIndex(engine);
  const store = new VersionStore('bench', engine, {}, {}, index);
  try {
    process.stdout.write(`loading ${KEYS} keys...\n`);
    for (let i = 0; i < KEYS; i += LOAD_BATCH) {
      const writes = [];
      for (let k = i; k < Math.min(KEYS, i + LOAD_BATCH); k++) {
        writes.push(
          store.write({
            tenantId: TENANT,
            key: `key-${k}`,
            context: VersionVector.EMPTY,
            dot: { actor: 'bench', counter: BigInt(k + 1) },
            content: { value: VALUE },
            policy: 'lww',
          }),
        );
      }
      await Promise.all(writes);
    }
    const ring = new HashRing(['n1', 'n2', 'n3'].map((nodeId) => ({ nodeId })));
    const ranges = ring.ranges(3);
    let scanned = 0;
    const pass = (digests: RangeDigests) => {
      scanned = 0;
      const started = performance.now();
      for (const range of ranges) digests.digest({ ...range, tenantId: TENANT });
      return { ms: performance.now() - started, scanned };
    };
    const fresh = () => new RangeDigests(engine, index, { onKeysScanned: (k) => (scanned += k) });
    const scan = pass(fresh());
    const rebuildStarted = performance.now();
    index.rebuild();
    await index.settled();
    const rebuildMs = performance.now() - rebuildStarted;
    const digests = fresh();
    const cold = pass(digests);
    const warm = pass(digests);
    const row = (label: string, result: { ms: number; scanned: number }) =>
      `${label.padEnd(34)} ${result.ms.toFixed(1).padStart(9)} ms  ${String(result.scanned).padStart(8)} keys scanned`;
    process.stdout.write(
      `\nRangeDigest of all ${ranges.length} ranges, ${KEYS} keys (one pass on one node)\n` +
        `${row('scan (index not built)', scan)}\n` +
        `${row('index, edges not yet cached', cold)}\n` +
        `${row('index, edges cached', warm)}\n` +
        `${'index rebuild from one engine scan'.padEnd(34)} ${rebuildMs.toFixed(1).padStart(9)} ms\n`,
    );
  } finally {
    await index.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
