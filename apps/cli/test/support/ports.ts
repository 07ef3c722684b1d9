// Free loopback ports for a test cluster: the cluster layout needs short runs of consecutive
// ports (gRPC base + nodes, metrics + nodes), so this finds whole blocks that are free now.
import { createServer } from 'node:net';

const SEARCH_FROM = 20_000;
const SEARCH_TO = 60_000;
const ATTEMPTS_MAX = 200;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/** The first port of `size` consecutive free ports, none of them in `avoid`. */
export async function freePortBlock(size: number, avoid: ReadonlySet<number> = new Set()) {
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    const start = SEARCH_FROM + Math.floor(Math.random() * (SEARCH_TO - SEARCH_FROM - size));
    let free = true;
    for (let port = start; port < start + size && free; port++) {
      free = !avoid.has(port) && (await isFree(port));
    }
    if (free) return start;
  }
  throw new Error(`no ${size} consecutive free ports found`);
}

export interface TestPorts {
  readonly basePort: number;
  readonly httpPort: number;
  readonly metricsPort: number;
}

/** Ports for a cluster of `nodes` storage nodes, as --base-port/--http-port/--metrics-port. */
export async function clusterPorts(nodes: number): Promise<TestPorts> {
  const basePort = await freePortBlock(nodes + 1);
  const taken = new Set(Array.from({ length: nodes + 1 }, (_, i) => basePort + i));
  const metricsPort = await freePortBlock(nodes + 1, taken);
  for (let i = 0; i <= nodes; i++) taken.add(metricsPort + i);
  const httpPort = await freePortBlock(1, taken);
  return { basePort, httpPort, metricsPort };
}

export function portArgs(ports: TestPorts): string[] {
  return [
    '--base-port',
    String(ports.basePort),
    '--http-port',
    String(ports.httpPort),
    '--metrics-port',
    String(ports.metricsPort),
  ];
}
