// The port and directory layout scripts rely on, and the refusals of impossible layouts.
import * as path from 'node:path';
import { UsageError } from '../../src/exit-codes';
import {
  clusterLayout,
  nextStorageNodeIndex,
  portsOf,
  storageNodeIndex,
  withoutStorageNode,
  withStorageNode,
} from '../../src/cluster/cluster-layout';

describe('clusterLayout', () => {
  it('gives the documented default: 50051/8080/9090, nodes at 50052+k and 9091+k', () => {
    const layout = clusterLayout();
    expect(layout.coordinator).toMatchObject({ grpc: 50051, http: 8080, metrics: 9090 });
    expect(layout.nodes.map((node) => [node.name, node.grpc, node.http])).toEqual([
      ['node-0', 50052, 9091],
      ['node-1', 50053, 9092],
      ['node-2', 50054, 9093],
    ]);
    expect(layout.dataDir).toBe(path.resolve('.pairdb'));
    expect(layout.nodes[1]!.dataDir).toBe(path.resolve('.pairdb', 'node-1'));
  });

  it('moves every port with its base for other sizes', () => {
    const layout = clusterLayout({
      nodes: 5,
      basePort: 40000,
      httpPort: 41000,
      metricsPort: 42000,
    });
    expect(layout.nodes.map((node) => node.grpc)).toEqual([40001, 40002, 40003, 40004, 40005]);
    expect(layout.nodes.map((node) => node.http)).toEqual([42001, 42002, 42003, 42004, 42005]);
    expect(new Set(portsOf(layout).map((p) => p.port)).size).toBe(3 + 2 * 5);
  });

  it('refuses bases that make two processes share a port, naming both', () => {
    expect(() => clusterLayout({ nodes: 3, basePort: 9000, metricsPort: 9001 })).toThrow(
      'node-1 gRPC and node-0 HTTP would both use port 9002',
    );
    expect(() => clusterLayout({ httpPort: 50052 })).toThrow(UsageError);
  });

  it('refuses ports past 65535 and node counts outside 1..16', () => {
    expect(() => clusterLayout({ basePort: 65_534 })).toThrow(/outside 1..65535/);
    expect(() => clusterLayout({ nodes: 0 })).toThrow(/--nodes must be from 1 to 16/);
    expect(() => clusterLayout({ nodes: 17 })).toThrow(UsageError);
  });

  it('runs the nodes a roster names, each at the ports of its index', () => {
    const layout = clusterLayout({ nodeIndices: [1, 2, 5] });
    expect(layout.nodes.map((node) => [node.name, node.grpc, node.http])).toEqual([
      ['node-1', 50053, 9092],
      ['node-2', 50054, 9093],
      ['node-5', 50057, 9096],
    ]);
  });
});

describe('growing and shrinking a layout', () => {
  it('adds node k at gRPC base + 1 + k and HTTP metrics + 1 + k, and removes it by name', () => {
    const grown = withStorageNode(clusterLayout(), 7);
    expect(grown.nodes.at(-1)).toMatchObject({
      name: 'node-7',
      index: 7,
      grpc: 50059,
      http: 9098,
      dataDir: path.resolve('.pairdb', 'node-7'),
    });
    expect(withoutStorageNode(grown, 'node-1').nodes.map((node) => node.name)).toEqual([
      'node-0',
      'node-2',
      'node-7',
    ]);
  });

  it('refuses a node whose port another process of the layout has, naming both', () => {
    const layout = clusterLayout({ basePort: 40000, httpPort: 40005, metricsPort: 41000 });
    expect(() => withStorageNode(layout, 4)).toThrow(
      'coordinator HTTP and node-4 gRPC would both use port 40005',
    );
  });

  it('refuses a node past the most a local cluster runs', () => {
    const full = clusterLayout({ nodes: 16 });
    expect(() => withStorageNode(full, 16)).toThrow(/already runs 16 storage nodes/);
  });
});

describe('storage node indices', () => {
  it('reads k from node-<k> only', () => {
    expect(
      ['node-0', 'node-12', 'node-x', 'node-', 'mynode-3', 'node-3a'].map(storageNodeIndex),
    ).toEqual([0, 12, undefined, undefined, undefined, undefined]);
  });

  it('takes the index above every one ever used, never a gap', () => {
    expect(nextStorageNodeIndex([])).toBe(0);
    expect(nextStorageNodeIndex([0, 1, 2])).toBe(3);
    expect(nextStorageNodeIndex([1, 4, 2])).toBe(5);
  });
});
