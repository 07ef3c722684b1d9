// Delivers hints to their owners over the owners' unary Repair RPC (hint delivery is rare and
// small; the batched stream is for the coordinator's hot path).
//
// A hint carries the node's own minimum accepted ring version (docs/architecture.md#fencing): an
// owner fenced past it refuses the hint (ABORTED) until this node is raised too, and delivery
// retries with backoff meanwhile. An owner that refuses it as not an owner (the key moved away)
// is reported as such, and HintDelivery sends the hint to the key's current owners.
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { storageV1 } from '@pairdb/proto';
import { conflictPolicyToWire, isNotAnOwnerRefusal, versionSetToWire } from '@pairdb/wire-contract';
import type { HintOutcome, HintSender } from '../hints/hint-delivery';
import type { Hint, HintTarget } from '../hints/hint-store';

/** Longest a single hinted repair may take before the owner counts as unreachable. */
export const HINT_REPAIR_TIMEOUT_MS = 5_000;

export class GrpcHintSender implements HintSender {
  private readonly clients = new Map<string, storageV1.StorageServiceClient>();

  /** @param ringVersion this node's minimum accepted ring version, read at each delivery */
  constructor(private readonly ringVersion: () => bigint) {}

  async send(target: HintTarget, hints: readonly Hint[]): Promise<HintOutcome[]> {
    const client = this.client(target.address);
    return Promise.all(
      hints.map(
        (hint) =>
          new Promise<HintOutcome>((resolve) => {
            client.repair(
              {
                tenantId: hint.tenantId,
                key: hint.key,
                versions: versionSetToWire(hint.versions),
                conflictPolicy: conflictPolicyToWire(hint.policy),
                hintFor: undefined,
                ringVersion: this.ringVersion(),
                fence: undefined,
              },
              new Metadata(),
              { deadline: Date.now() + HINT_REPAIR_TIMEOUT_MS },
              (error: ServiceError | null) => resolve(outcomeOf(error)),
            );
          }),
      ),
    );
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(address: string): storageV1.StorageServiceClient {
    let client = this.clients.get(address);
    if (!client) {
      client = new storageV1.StorageServiceClient(address, credentials.createInsecure());
      this.clients.set(address, client);
    }
    return client;
  }
}

function outcomeOf(error: ServiceError | null): HintOutcome {
  if (!error) return 'delivered';
  return isNotAnOwnerRefusal(error.code, error.details) ? 'not-an-owner' : error;
}
