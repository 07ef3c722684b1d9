// Where every process of a local cluster listens and keeps its data. Scripts rely on the
// default layout, so it is fixed here:
//
//   coordinator     gRPC basePort (50051)     HTTP httpPort (8080)   metrics metricsPort (9090)
//   storage node k  gRPC basePort + 1 + k     HTTP metricsPort + 1 + k
//
// so three nodes use gRPC 50052-50054 and HTTP 9091-9093. Everything binds to 127.0.0.1.
// Data: <dataDir>/coordinator, <dataDir>/node-<k>; logs: <dataDir>/logs/<name>.log.
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
  dataDir?: string;
  basePort?: number;
  httpPort?: number;
  metricsPort?: number;
}

export function storageNodeId(index: number): string {
  return `node-${index}`;
}

export function clusterLayout(options: LayoutOptions = {}): ClusterLayout {
  const nodeCount = options.nodes ?? NODES_DEFAULT;
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > NODES_MAX) {
    throw new UsageError(`--nodes must be from 1 to ${NODES_MAX} (got ${nodeCount})`);
  }
  const dataDir = path.resolve(options.dataDir ?? DATA_DIR_DEFAULT);
  const basePort = options.basePort ?? BASE_PORT_DEFAULT;
  const metricsPort = options.metricsPort ?? METRICS_PORT_DEFAULT;
  const layout: ClusterLayout = {
    dataDir,
    logDir: path.join(dataDir, 'logs'),
    coordinator: {
      name: COORDINATOR_NODE_ID,
      grpc: basePort,
      http: options.httpPort ?? HTTP_PORT_DEFAULT,
      metrics: metricsPort,
      dataDir: path.join(dataDir, 'coordinator'),
    },
    nodes: Array.from({ length: nodeCount }, (_, index) => ({
      name: storageNodeId(index),
      index,
      grpc: basePort + 1 + index,
      http: metricsPort + 1 + index,
      dataDir: path.join(dataDir, storageNodeId(index)),
    })),
  };
  checkPorts(layout);
  return layout;
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
