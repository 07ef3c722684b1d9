// A stored version set that cannot be read: the engine found its block damaged (a CRC mismatch,
// the cause names file and offset) or its bytes do not decode (damaged, or written by something
// else). The error names what an operator needs to find and heal the
// copy (node, tenant, key, engine key); the node answers DATA_LOSS, which the coordinator counts
// as that replica's failure (damaged) while the other replicas answer.

export class CorruptVersionsError extends Error {
  constructor(
    readonly nodeId: string,
    readonly tenantId: string,
    readonly key: string,
    readonly engineKey: Buffer,
    cause: Error,
  ) {
    super(
      `stored versions of key ${JSON.stringify(key)} in tenant ${JSON.stringify(tenantId)} ` +
        `on node ${nodeId} cannot be read (engine key ${engineKey.toString('hex')}): ` +
        cause.message,
      { cause },
    );
    this.name = 'CorruptVersionsError';
  }
}
