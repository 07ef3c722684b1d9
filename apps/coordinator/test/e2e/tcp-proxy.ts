// A TCP proxy on 127.0.0.1 that a test can cut and heal: cut, it stops moving bytes both ways
// but keeps every connection open (a partition, not a refusal: the client sees its requests
// hang, never a reset); healed, the bytes held back flow on. New connections made while cut
// wait the same way.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** One direction of one connection: bytes from `from` to `to`, held back while cut. */
interface Flow {
  readonly to: Socket;
  readonly held: Buffer[];
}

export class TcpProxy {
  private readonly flows = new Set<Flow>();
  private readonly sockets = new Set<Socket>();
  /** Flows whose source closed while cut: their destination closes once the cut heals. */
  private readonly closedWhileCut: Flow[] = [];
  private readonly server: Server;
  private cutOff = false;
  port = 0;

  private constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = createServer((client) => this.forward(client));
  }

  /** Listens on a port the system picks and forwards each connection to the upstream. */
  static async start(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(upstreamHost, upstreamPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy.port = address.port;
    return proxy;
  }

  cut(): void {
    this.cutOff = true;
  }

  heal(): void {
    this.cutOff = false;
    for (const flow of this.flows) {
      for (const chunk of flow.held.splice(0)) flow.to.write(chunk);
    }
    for (const flow of this.closedWhileCut.splice(0)) {
      this.flows.delete(flow);
      flow.to.end();
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private forward(client: Socket): void {
    const upstream = createConnection({ host: this.upstreamHost, port: this.upstreamPort });
    const toUpstream: Flow = { to: upstream, held: [] };
    const toClient: Flow = { to: client, held: [] };
    for (const [socket, flow] of [
      [client, toUpstream],
      [upstream, toClient],
    ] as const) {
      this.sockets.add(socket);
      this.flows.add(flow);
      socket.on('data', (chunk: Buffer) => {
        if (this.cutOff) flow.held.push(chunk);
        else flow.to.write(chunk);
      });
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        // While cut, the other side learns of the close only when the cut heals.
        if (this.cutOff) {
          this.closedWhileCut.push(flow);
          return;
        }
        this.flows.delete(flow);
        flow.to.end();
      });
    }
  }
}
