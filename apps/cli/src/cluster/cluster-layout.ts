// Where every process of a local cluster listens and keeps its data. Scripts rely on the
// default layout, so it is fixed here:
//
//   coordinator     gRPC basePort (50051)     HTTP httpPort (8080)   metrics metricsPort (9090)
//   storage node k  gRPC basePort + 1 + k     HTTP metricsPort + 1 + k
//
// so three nodes use gRPC 50052-50054 and HTTP 9091-9093. Everything binds to 127.0.0.1.
// Data: <dataDir>/coordinator, <dataDir>/node-<k>; logs: <dataDir>/logs/<name>.log.
// A node added to a running cluster (`pairdb node add --start`) takes the next index no node
// ever had (node ids are never reused), so a cluster that grew and shrank runs, say, nodes 0, 2
// and 3; node-roster.ts keeps which.
import * as path from 'node:path';
import { UsageError } from '../exit-codes';

export const BASE_PORT_DEFAULT = 50051;
export const HTTP_PORT_DEFAULT = 8080;
export const METRICS_PORT_DEFAULT = 9090;
export const NODES_DEFAULT = 3;
/** A laptop cluster; past this, ports and memory (one process per node) run out first. */
export const NODES_MAX = 16;
export const DATA_DIR_DEFAULT = '.pairdb';
export const LOOPBACK_HOST = '127.0.0.1';
export const COORDINATOR_NODE_ID = 'coordinator-1';
const PORT_MAX = 65_535;

export interface ProcessPorts {
  readonly grpc: number;
  readonly http: number;
}

export interface CoordinatorLayout extends ProcessPorts {
  readonly name: string;
  readonly metrics: number;
  readonly dataDir: string;
}

export interface StorageNodeLayout extends ProcessPorts {
  readonly name: string;
  readonly index: number;
  readonly dataDir: string;
}

export interface ClusterLayout {
  readonly dataDir: string;
  readonly logDir: string;
  readonly coordinator: CoordinatorLayout;
  readonly nodes: readonly StorageNodeLayout[];
}

export interface LayoutOptions {
  nodes?: number;
  /** The storage nodes by index (node-roster.ts), instead of 0..nodes-1. */
  nodeIndices?: readonly number[];
  dataDir?: string;
  basePort?: number;
  httpPort?: number;
  metricsPort?: number;
}

export function storageNodeId(index: number): string {
  return `node-${index}`;
}

/** The index k of a local cluster's node id `node-<k>`; undefined for any other id. */
export function storageNodeIndex(nodeId: string): number | undefined {
  const match = /^node-(\d{1,6})$/.exec(nodeId);
  return match ? Number(match[1]) : undefined;
}

/** The lowest index above every index in `taken` (0 for none): never one a node had. */
export function nextStorageNodeIndex(taken: Iterable<number>): number {
  let next = 0;
  for (const index of taken) next = Math.max(next, index + 1);
  return next;
}

export function clusterLayout(options: LayoutOptions = {}): ClusterLayout {
  const indices =
    options.nodeIndices ?? Array.from({ length: options.nodes ?? NODES_DEFAULT }, (_, k) => k);
  if (indices.length < 1 || indices.length > NODES_MAX) {
    throw new UsageError(`--nodes must be from 1 to ${NODES_MAX} (got ${indices.length})`);
  }
  const dataDir = path.resolve(options.dataDir ?? DATA_DIR_DEFAULT);
  const layout: ClusterLayout = {
    dataDir,
    logDir: path.join(dataDir, 'logs'),
    coordinator: {
      name: COORDINATOR_NODE_ID,
      grpc: options.basePort ?? BASE_PORT_DEFAULT,
      http: options.httpPort ?? HTTP_PORT_DEFAULT,
      metrics: options.metricsPort ?? METRICS_PORT_DEFAULT,
      dataDir: path.join(dataDir, 'coordinator'),
    },
    nodes: [],
  };
  const withNodes = { ...layout, nodes: indices.map((index) => nodeLayout(layout, index)) };
  checkPorts(withNodes);
  return withNodes;
}

/** `layout` with storage node `index` added, its ports checked against everything else. */
export function withStorageNode(layout: ClusterLayout, index: number): ClusterLayout {
  if (layout.nodes.length >= NODES_MAX) {
    throw new UsageError(
      `the local cluster already runs ${layout.nodes.length} storage nodes, the most it runs ` +
        `(${NODES_MAX}): remove one first`,
    );
  }
  const grown = { ...layout, nodes: [...layout.nodes, nodeLayout(layout, index)] };
  checkPorts(grown);
  return grown;
}

export function withoutStorageNode(layout: ClusterLayout, name: string): ClusterLayout {
  return { ...layout, nodes: layout.nodes.filter((node) => node.name !== name) };
}

/** Storage node k: gRPC after the coordinator's, HTTP after the coordinator's metrics port. */
function nodeLayout(layout: ClusterLayout, index: number): StorageNodeLayout {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new UsageError(`storage node index must be a whole number from 0 (got ${index})`);
  }
  return {
    name: storageNodeId(index),
    index,
    grpc: layout.coordinator.grpc + 1 + index,
    http: layout.coordinator.metrics + 1 + index,
    dataDir: path.join(layout.dataDir, storageNodeId(index)),
  };
}

/** Every port with what it is for, in start order. */
export function portsOf(layout: ClusterLayout): { port: number; role: string }[] {
  const c = layout.coordinator;
  return [
    ...layout.nodes.flatMap((node) => [
      { port: node.grpc, role: `${node.name} gRPC` },
      { port: node.http, role: `${node.name} HTTP` },
    ]),
    { port: c.grpc, role: 'coordinator gRPC' },
    { port: c.http, role: 'coordinator HTTP' },
    { port: c.metrics, role: 'coordinator metrics' },
  ];
}

function checkPorts(layout: ClusterLayout): void {
  const seen = new Map<number, string>();
  for (const { port, role } of portsOf(layout)) {
    if (!Number.isInteger(port) || port < 1 || port > PORT_MAX) {
      throw new UsageError(`${role} port ${port} is outside 1..${PORT_MAX}: choose lower bases`);
    }
    const other = seen.get(port);
    if (other !== undefined) {
      throw new UsageError(
        `${role} and ${other} would both use port ${port}: move --base-port, --http-port or ` +
          '--metrics-port apart',
      );
    }
    seen.set(port, role);
  }
}
