// A TCP proxy on 127.0.0.1 in front of PostgreSQL that a test can cut and heal: cut, it stops
// moving bytes both ways but keeps the connections open (a partition, not a refusal: the client
// sees its requests hang, never a reset); healed, the bytes held back flow on. A cut takes every
// connection, new ones included, or only the connections that sent a LISTEN: then the client
// keeps its queries but receives no NOTIFY.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What a cut holds back. */
export type CutScope = 'all' | 'listeners';

/** The bytes of a LISTEN statement in a simple-query message. */
const LISTEN_STATEMENT = Buffer.from('LISTEN "');

/** One direction of one connection: bytes held back while cut. */
interface Flow {
  readonly to: Socket;
  readonly held: Buffer[];
  /** Its source closed while cut: `to` is closed once the bytes are delivered. */
  sourceClosed: boolean;
}

interface Connection {
  /** Sent a LISTEN: a 'listeners' cut holds it. */
  listening: boolean;
  readonly flows: readonly Flow[];
}

export class TcpProxy {
  private readonly connections = new Set<Connection>();
  private readonly server: Server;
  private scope: CutScope | null = null;
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

  /** Open connections that sent a LISTEN (what a 'listeners' cut holds). */
  get listeningConnections(): number {
    return [...this.connections].filter((c) => c.listening && !c.flows[0]!.to.destroyed).length;
  }

  cut(scope: CutScope = 'all'): void {
    this.scope = scope;
  }

  heal(): void {
    this.scope = null;
    for (const connection of this.connections) {
      for (const flow of connection.flows) {
        for (const chunk of flow.held.splice(0)) flow.to.write(chunk);
        if (flow.sourceClosed) flow.to.end();
      }
    }
  }

  async close(): Promise<void> {
    for (const connection of this.connections) {
      for (const flow of connection.flows) flow.to.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private holds(connection: Connection): boolean {
    return this.scope === 'all' || (this.scope === 'listeners' && connection.listening);
  }

  private forward(client: Socket): void {
    const upstream = createConnection({ host: this.upstreamHost, port: this.upstreamPort });
    const toUpstream: Flow = { to: upstream, held: [], sourceClosed: false };
    const toClient: Flow = { to: client, held: [], sourceClosed: false };
    const connection: Connection = { listening: false, flows: [toUpstream, toClient] };
    this.connections.add(connection);
    const pairs: ReadonlyArray<[Socket, Flow]> = [
      [client, toUpstream],
      [upstream, toClient],
    ];
    for (const [source, flow] of pairs) {
      source.on('data', (chunk: Buffer) => {
        if (flow === toUpstream && chunk.includes(LISTEN_STATEMENT)) connection.listening = true;
        if (this.holds(connection)) flow.held.push(chunk);
        else flow.to.write(chunk);
      });
      source.on('error', () => source.destroy());
      source.on('close', () => {
        if (this.holds(connection)) {
          flow.sourceClosed = true;
          return;
        }
        flow.to.end();
        if (client.destroyed && upstream.destroyed) this.connections.delete(connection);
      });
    }
  }
}
