// The scale figures (`bench.ts --scale`): QUORUM write throughput with 1, 2 and 3 coordinators
// in front of the same 3 storage nodes, and with 3 and 5 storage nodes behind 1 coordinator, at
// each client count; a fresh cluster per shape. Coordinators share their metadata only through
// PostgreSQL, so without a server the multi-coordinator shapes are skipped and say so; with one,
// every shape uses it (a fresh database each), so the shapes differ only in process counts.
import { BenchCluster, REPLICATION_FACTOR } from './cluster';
import { runLoad } from './load-run';
import { postgresProblem } from './metadata-database';
import type { BenchOptions } from './options';
import { runConditions, runStart } from './report';
import { BASE_SHAPE, scaleRows, type ClusterShape, type ScaleReport } from './scale-report';
import { KEY_BYTES } from './workload';

/** In the order they run. */
const SHAPES: readonly ClusterShape[] = [
  BASE_SHAPE,
  { coordinators: 2, storageNodes: 3 },
  { coordinators: 3, storageNodes: 3 },
  { coordinators: 1, storageNodes: 5 },
];

/** The PostgreSQL server to use, or why there is none. */
async function sharedMetadata(
  url: string | undefined,
): Promise<{ url: string } | { skipped: string }> {
  if (url === undefined) {
    return {
      skipped:
        'no PostgreSQL given (--pg-url URL, or $PAIRDB_TEST_PG_URL): coordinators share ' +
        'their metadata only through PostgreSQL',
    };
  }
  const problem = await postgresProblem(url);
  if (problem) return { skipped: `PostgreSQL at ${new URL(url).host} does not answer: ${problem}` };
  return { url };
}

export async function runScale(
  options: BenchOptions,
  progress: (text: string) => void,
): Promise<ScaleReport> {
  const start = runStart();
  const sync = options.syncPolicies[0]!;
  const metadata = await sharedMetadata(options.postgresUrl);
  const notes: string[] = [];
  const runs = [];
  for (const shape of SHAPES) {
    const name = `${shape.coordinators} coordinators, ${shape.storageNodes} nodes`;
    if (shape.coordinators > 1 && 'skipped' in metadata) {
      notes.push(`skipped ${name}: ${metadata.skipped}`);
      progress(`scale: ${notes[notes.length - 1]}`);
      continue;
    }
    const cluster = await BenchCluster.start({
      syncPolicy: sync,
      coordinators: shape.coordinators,
      storageNodes: shape.storageNodes,
      postgresUrl: 'url' in metadata ? metadata.url : undefined,
    });
    let keyOffset = 0;
    try {
      for (const clients of options.clients) {
        progress(`scale: ${name}, write at ${clients} clients`);
        const { result, cpuCores } = await runLoad(
          {
            workload: 'write',
            addresses: cluster.coordinatorAddresses,
            clients,
            warmupMs: options.warmupMs,
            durationMs: options.durationMs,
            valueBytes: options.valueBytes,
            keyOffset,
            keyCount: keyOffset,
          },
          { server: cluster.pids.coordinator, storageNodes: cluster.pids.storageNodes },
        );
        keyOffset = result.nextKeyIndex;
        runs.push({ ...result, ...shape, cpuCores });
      }
    } finally {
      await cluster.stop();
    }
  }
  return {
    setup: {
      sync,
      replicationFactor: REPLICATION_FACTOR,
      keyBytes: KEY_BYTES,
      valueBytes: options.valueBytes,
      metadata: 'url' in metadata ? 'PostgreSQL' : 'PGlite',
      ...runConditions(options, start),
    },
    rows: scaleRows(runs),
    notes,
  };
}
