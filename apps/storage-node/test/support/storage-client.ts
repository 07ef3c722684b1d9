// A promise wrapper over the generated StorageService client, for tests.
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { storageV1 } from '@pairdb/proto';

type Callback<T> = (error: ServiceError | null, response: T) => void;

function call<Req, Res>(
  fn: (
    request: Req,
    metadata: Metadata,
    options: { deadline: number },
    callback: Callback<Res>,
  ) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(request, new Metadata(), { deadline: Date.now() + 10_000 }, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

export class TestStorageClient {
  readonly raw: storageV1.StorageServiceClient;

  constructor(readonly address: string) {
    this.raw = new storageV1.StorageServiceClient(address, credentials.createInsecure());
  }

  write(request: Partial<storageV1.WriteRequest>): Promise<storageV1.WriteResponse> {
    return call(this.raw.write.bind(this.raw), storageV1.WriteRequest.fromPartial(request));
  }

  read(tenantId: string, key: string, ringVersion = 0n): Promise<storageV1.ReadResponse> {
    return call(this.raw.read.bind(this.raw), { tenantId, key, ringVersion });
  }

  delete(request: Partial<storageV1.DeleteRequest>): Promise<storageV1.DeleteResponse> {
    return call(this.raw.delete.bind(this.raw), storageV1.DeleteRequest.fromPartial(request));
  }

  repair(request: Partial<storageV1.RepairRequest>): Promise<storageV1.RepairResponse> {
    return call(this.raw.repair.bind(this.raw), storageV1.RepairRequest.fromPartial(request));
  }

  repairBatch(
    request: Partial<storageV1.RepairBatchRequest>,
  ): Promise<storageV1.RepairBatchResponse> {
    return call(
      this.raw.repairBatch.bind(this.raw),
      storageV1.RepairBatchRequest.fromPartial(request),
    );
  }

  raiseRingVersion(
    request: Partial<storageV1.RaiseRingVersionRequest>,
  ): Promise<storageV1.RaiseRingVersionResponse> {
    return call(
      this.raw.raiseRingVersion.bind(this.raw),
      storageV1.RaiseRingVersionRequest.fromPartial(request),
    );
  }

  dropRange(request: Partial<storageV1.DropRangeRequest>): Promise<storageV1.DropRangeResponse> {
    return call(this.raw.dropRange.bind(this.raw), storageV1.DropRangeRequest.fromPartial(request));
  }

  healthCheck(): Promise<storageV1.HealthCheckResponse> {
    return call(this.raw.healthCheck.bind(this.raw), {});
  }

  rangeDigest(
    request: Partial<storageV1.RangeDigestRequest>,
  ): Promise<storageV1.RangeDigestResponse> {
    return call(
      this.raw.rangeDigest.bind(this.raw),
      storageV1.RangeDigestRequest.fromPartial(request),
    );
  }

  scanRange(request: Partial<storageV1.ScanRangeRequest>): Promise<storageV1.ScannedVersion[]> {
    const stream = this.raw.scanRange(storageV1.ScanRangeRequest.fromPartial(request));
    const entries: storageV1.ScannedVersion[] = [];
    return new Promise((resolve, reject) => {
      stream.on('data', (page: storageV1.ScanRangeResponse) => entries.push(...page.entries));
      stream.on('end', () => resolve(entries));
      stream.on('error', reject);
    });
  }

  /** Sends one Exchange batch and collects the results for every item. */
  exchange(items: storageV1.ExchangeItem[]): Promise<Map<number, storageV1.ExchangeResult>> {
    const stream = this.raw.exchange();
    const results = new Map<number, storageV1.ExchangeResult>();
    return new Promise((resolve, reject) => {
      stream.on('data', (response: storageV1.ExchangeResponse) => {
        for (const result of response.results) results.set(result.id, result);
        if (results.size === items.length) stream.end();
      });
      stream.on('end', () => resolve(results));
      stream.on('error', reject);
      stream.write({ items });
    });
  }

  close(): void {
    this.raw.close();
  }
}

export const LWW = storageV1.ConflictPolicy.CONFLICT_POLICY_LWW;
export const SIBLINGS = storageV1.ConflictPolicy.CONFLICT_POLICY_SIBLINGS;

export function dot(actor: string, counter: bigint | number): storageV1.Dot {
  return { actor, counter: BigInt(counter) };
}

export function values(set: storageV1.VersionSet | undefined): string[] {
  return (set?.siblings ?? [])
    .filter((s) => !s.tombstone)
    .map((s) => Buffer.from(s.value).toString());
}

/** What a coordinator hands a client after a read: the context joined with every sibling dot. */
export function readContextOf(
  set: storageV1.VersionSet | undefined,
): storageV1.VersionVectorEntry[] {
  const max = new Map<string, bigint>();
  for (const entry of set?.context ?? []) max.set(entry.actor, entry.counter);
  for (const sibling of set?.siblings ?? []) {
    const { actor, counter } = sibling.dot!;
    if ((max.get(actor) ?? 0n) < counter) max.set(actor, counter);
  }
  return [...max]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([actor, counter]) => ({ actor, counter }));
}
