// The tenant every local cluster starts with, so the tour's first `pairdb put default ...` works.
export const DEFAULT_TENANT = 'default';
/** The replication factor `default` gets on a cluster of three or more nodes. */
export const DEFAULT_TENANT_REPLICATION_FACTOR = 3;
