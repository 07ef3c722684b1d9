// Asks one storage node about itself over the internal StorageService HealthCheck: for admin
// tools (`pairdb status`), which talk to nodes directly the way nodetool does.
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { storageV1 } from '@pairdb/proto';
import { fromServiceError } from './errors';
import type { StorageNodeHealth } from './types';
import { healthFromWire } from './wire';

/** A node that has not answered by then is reported as unreachable, not waited for. */
export const PROBE_TIMEOUT_MS_DEFAULT = 3_000;

export async function probeStorageNode(
  address: string,
  timeoutMs = PROBE_TIMEOUT_MS_DEFAULT,
): Promise<StorageNodeHealth> {
  const raw = new storageV1.StorageServiceClient(address, credentials.createInsecure());
  try {
    const response = await new Promise<storageV1.HealthCheckResponse>((resolve, reject) =>
      raw.healthCheck(
        {},
        new Metadata(),
        { deadline: new Date(Date.now() + timeoutMs) },
        (error: ServiceError | null, answer) =>
          error ? reject(fromServiceError(error, 'HealthCheck', address)) : resolve(answer),
      ),
    );
    return healthFromWire(response);
  } finally {
    raw.close();
  }
}
