// Ring lookup speed: `npx nx run hashring:bench`. Prints a table; asserts nothing.
import { HashRing, keyToken } from '@pairdb/hashring';

const LOOKUP_COUNT = 100_000;

function timeMs(work: () => void): number {
  const started = performance.now();
  work();
  return Math.round((performance.now() - started) * 10) / 10;
}

const rows = [3, 10, 50].map((nodeCount) => {
  const ring = new HashRing(
    Array.from({ length: nodeCount }, (_, index) => ({ nodeId: `node-${index + 1}` })),
  );
  const tokens = Array.from({ length: LOOKUP_COUNT }, (_, index) => keyToken('t', `k${index}`));
  const hashMs = timeMs(() => {
    for (let i = 0; i < LOOKUP_COUNT; i++) keyToken('t', `k${i}`);
  });
  const primaryMs = timeMs(() => tokens.forEach((token) => ring.primary(token)));
  const preferenceListMs = timeMs(() => tokens.forEach((token) => ring.preferenceList(token, 3)));
  return {
    nodes: nodeCount,
    vnodes: ring.virtualNodeCount,
    lookups: LOOKUP_COUNT,
    keyTokenMs: hashMs,
    primaryMs,
    preferenceList3Ms: preferenceListMs,
    lookupsPerSec: Math.round((LOOKUP_COUNT / preferenceListMs) * 1000),
  };
});
console.table(rows);
