// Ports for a test cluster: the cluster layout needs short runs of consecutive ports (gRPC base
// + nodes, metrics + nodes), found free and outside the ephemeral range by @pairdb/test-ports.
import { freePortBlock } from '@pairdb/test-ports';

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
