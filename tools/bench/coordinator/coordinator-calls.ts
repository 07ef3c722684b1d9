// The coordinator's public gRPC calls the process benchmarks (migration, anti-entropy) make from
// their own process: registering nodes, creating tenants, loading keys of 1 KiB and a closed-loop
// QUORUM writer whose rate is the foreground figure.
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { coordinatorV1 } from '@pairdb/proto';

export type CoordinatorClient = coordinatorV1.CoordinatorServiceClient;

export const BENCH_VALUE_BYTES = 1_024;
/** A call slower than this fails rather than holding its caller. */
const CALL_DEADLINE_MS = 10_000;
/** Writes in flight at once while loading keys. */
const LOAD_WRITES_IN_FLIGHT = 64;

const value = Buffer.alloc(BENCH_VALUE_BYTES, 0x61);

export function call<T>(
  issue: (done: (error: ServiceError | null, reply: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    issue((error, reply) => (error ? reject(error) : resolve(reply))),
  );
}

export const callOptions = () => ({ deadline: Date.now() + CALL_DEADLINE_MS });

export function addStorageNode(
  client: CoordinatorClient,
  node: { nodeId: string; port: number },
): Promise<coordinatorV1.AddStorageNodeResponse> {
  return call((done) =>
    client.addStorageNode(
      {
        nodeId: node.nodeId,
        host: '127.0.0.1',
        port: node.port,
        virtualNodes: 0,
        acceptRegistered: false,
      },
      new Metadata(),
      callOptions(),
      done,
    ),
  );
}

export function createTenant(
  client: CoordinatorClient,
  tenant: { tenantId: string; replicationFactor: number },
): Promise<unknown> {
  return call((done) =>
    client.createTenant(
      { ...tenant, conflictResolution: 'lww' },
      new Metadata(),
      callOptions(),
      done,
    ),
  );
}

export function writeKey(
  client: CoordinatorClient,
  tenantId: string,
  key: string,
  consistency: 'quorum' | 'all',
): Promise<unknown> {
  return call((done) =>
    client.writeKeyValue(
      coordinatorV1.WriteKeyValueRequest.fromPartial({ tenantId, key, value, consistency }),
      new Metadata(),
      callOptions(),
      done,
    ),
  );
}

/** Writes key-0 .. key-(count-1) once each; any failed write fails the load. */
export async function loadKeys(
  client: CoordinatorClient,
  tenantId: string,
  count: number,
  consistency: 'quorum' | 'all',
): Promise<void> {
  for (let i = 0; i < count; i += LOAD_WRITES_IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(LOAD_WRITES_IN_FLIGHT, count - i) }, (_, j) =>
      writeKey(client, tenantId, `key-${i + j}`, consistency),
    );
    await Promise.all(batch);
  }
}

export interface WriteLoadResult {
  readonly writesPerSecond: number;
  readonly errors: number;
  readonly seconds: number;
}

/**
 * `clients` closed-loop QUORUM writers overwriting key-0 .. key-(keyCount-1) in turn until
 * `until` resolves.
 */
export async function closedLoopWrites(
  client: CoordinatorClient,
  load: { tenantId: string; clients: number; keyCount: number; until: Promise<unknown> },
): Promise<WriteLoadResult> {
  let running = true;
  let writes = 0;
  let errors = 0;
  let sequence = 0;
  const started = performance.now();
  void load.until.finally(() => (running = false));
  const loops = Array.from({ length: load.clients }, async () => {
    while (running) {
      const key = `key-${sequence++ % load.keyCount}`;
      await writeKey(client, load.tenantId, key, 'quorum').then(
        () => writes++,
        () => errors++,
      );
    }
  });
  await Promise.all(loops);
  const seconds = (performance.now() - started) / 1_000;
  return { writesPerSecond: writes / seconds, errors, seconds };
}
