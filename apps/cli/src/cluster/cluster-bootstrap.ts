// First-start set-up of a local cluster, safe to repeat on every start: each storage node is
// registered (ALREADY_EXISTS means an earlier start did it) and the `default` tenant created if
// absent. Registrations that disagree with this start's layout are reported, not changed.
import { AlreadyExistsError, NotFoundError, type PairDBClient } from '@pairdb/client';
import { LOOPBACK_HOST, type StorageNodeLayout } from './cluster-layout';
import { DEFAULT_TENANT } from './default-tenant';

export interface BootstrapReport {
  /** What happened, one line each, for the start-up log. */
  readonly lines: string[];
  /** Registrations that do not match this start (other ports, nodes not started, removed). */
  readonly warnings: string[];
}

export async function bootstrapCluster(
  client: PairDBClient,
  nodes: readonly StorageNodeLayout[],
  replicationFactor: number,
): Promise<BootstrapReport> {
  const lines: string[] = [];
  const warnings: string[] = [];
  const added: string[] = [];
  for (const node of nodes) {
    try {
      await client.addStorageNode({ nodeId: node.name, host: LOOPBACK_HOST, port: node.grpc });
      added.push(node.name);
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
    }
  }
  lines.push(
    added.length > 0 ? `registered ${added.join(', ')}` : 'storage nodes already registered',
  );
  const started = new Map(nodes.map((node) => [node.name, node]));
  for (const registered of await client.listStorageNodes()) {
    const node = started.get(registered.nodeId);
    const where = `${registered.host}:${registered.port}`;
    if (!node) {
      if (registered.status !== 'inactive') {
        warnings.push(
          `${registered.nodeId} (${where}) is registered but not started by this cluster: ` +
            `remove it with \`pairdb node remove ${registered.nodeId}\` or start more --nodes`,
        );
      }
    } else if (registered.port !== node.grpc || registered.host !== LOOPBACK_HOST) {
      warnings.push(
        `${registered.nodeId} is registered at ${where} but runs at ${LOOPBACK_HOST}:${node.grpc}: ` +
          'start with the ports of the first start, or use a fresh --data-dir',
      );
    } else if (registered.status === 'inactive') {
      warnings.push(`${registered.nodeId} was removed earlier and stays out of the ring`);
    }
  }
  try {
    const tenant = await client.getTenant(DEFAULT_TENANT);
    lines.push(`tenant ${DEFAULT_TENANT} exists (replication factor ${tenant.replicationFactor})`);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await client.createTenant(DEFAULT_TENANT, { replicationFactor }).catch((failure: unknown) => {
      // Another supervisor on the same metadata store may have won the race: that is fine.
      if (!(failure instanceof AlreadyExistsError)) throw failure;
    });
    lines.push(`created tenant ${DEFAULT_TENANT} (replication factor ${replicationFactor})`);
  }
  return { lines, warnings };
}
