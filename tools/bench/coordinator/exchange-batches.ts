// How full the coordinators' Exchange batches were during a window, read from their
// `coordinator_exchange_batch_items` histograms: each batch message costs a storage node one
// commit-log append and each side one transport message, so requests per batch says how far
// those costs are shared (docs/benchmarks.md#coordinator-vs-a-bare-grpc-echo-and-etcd).

/** Requests and batch messages every coordinator had sent so far. */
export interface BatchTotals {
  readonly requests: number;
  readonly batches: number;
}

const SUM = /^coordinator_exchange_batch_items_sum (\S+)$/m;
const COUNT = /^coordinator_exchange_batch_items_count (\S+)$/m;

/** Totals over every `/metrics` URL; undefined when a page could not be read or lacks them. */
export async function exchangeBatchTotals(
  metricsUrls: readonly string[],
): Promise<BatchTotals | undefined> {
  try {
    const pages = await Promise.all(
      metricsUrls.map(async (url) =>
        (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text(),
      ),
    );
    let requests = 0;
    let batches = 0;
    for (const page of pages) {
      const sum = SUM.exec(page);
      const count = COUNT.exec(page);
      if (!sum || !count) return undefined;
      requests += Number(sum[1]);
      batches += Number(count[1]);
    }
    return { requests, batches };
  } catch {
    return undefined;
  }
}

/** Requests per batch between two readings; undefined without both or without a batch. */
export function requestsPerBatch(
  before: BatchTotals | undefined,
  after: BatchTotals | undefined,
): number | undefined {
  if (!before || !after || after.batches === before.batches) return undefined;
  return (after.requests - before.requests) / (after.batches - before.batches);
}
