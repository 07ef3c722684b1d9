// The running supervisor's control channel: how `pairdb node add --start` asks it to run one
// more storage node. A small HTTP server on 127.0.0.1, on a port the kernel picks (so it never
// clashes with the cluster's fixed layout), recorded in cluster.json with a random token that
// every request must carry (`Authorization: Bearer <token>`). cluster.json is readable by its
// owner only, so only that user's CLI can drive the supervisor; the token also keeps a web page
// from posting to the port (a browser cannot set that header across origins without asking).
//
//   POST /v1/storage-nodes   {"virtualNodes"?: n}   -> 200 StartedStorageNode
//   any failure                                      -> 4xx/5xx {"error": {message, exitCode}}
//
// exitCode is what the CLI exits with (exit-codes.ts), worked out by the supervisor, which has
// the coordinator's error at hand.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPBACK_HOST } from './cluster-layout';

export const CONTROL_STORAGE_NODES_PATH = '/v1/storage-nodes';
/** A request is a small JSON object; anything bigger is not ours. */
export const CONTROL_BODY_BYTES_MAX = 4_096;
const TOKEN_BYTES = 32;

export interface StartStorageNodeRequest {
  /** Ring positions of the new node; default the coordinator's. */
  readonly virtualNodes?: number;
}

/** What the supervisor started and registered. */
export interface StartedStorageNode {
  readonly nodeId: string;
  readonly pid: number;
  readonly grpcAddress: string;
  readonly httpPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** joining, or active when no tenant exists yet (then no data moves). */
  readonly status: string;
  readonly virtualNodes: number;
  /** The node_addition migration; '' when the node joined at once. */
  readonly migrationId: string;
  /** The coordinator the supervisor registered it with. */
  readonly coordinatorAddress: string;
}

export interface ControlFailure {
  readonly message: string;
  readonly exitCode: number;
}

export interface ControlHandlers {
  startStorageNode(request: StartStorageNodeRequest): Promise<StartedStorageNode>;
  /** How a handler's error reads to the CLI, and the exit code it should end with. */
  describeFailure(error: unknown): Promise<ControlFailure>;
}

/** Where the CLI finds the control channel: cluster.json's `control`. */
export interface ControlEndpoint {
  readonly port: number;
  readonly token: string;
}

/** A request the channel refuses before any handler runs. */
class ControlRequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlRequestError';
  }
}

export class SupervisorControl {
  private constructor(
    private readonly server: Server,
    readonly endpoint: ControlEndpoint,
  ) {}

  /** Listens on 127.0.0.1:`port` (0: any free port). */
  static async listen(handlers: ControlHandlers, port = 0): Promise<SupervisorControl> {
    const token = randomBytes(TOKEN_BYTES).toString('hex');
    const server = createServer((request, response) => {
      void serve(handlers, token, request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, LOOPBACK_HOST, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    return new SupervisorControl(server, { port: (server.address() as AddressInfo).port, token });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function serve(
  handlers: ControlHandlers,
  token: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    authorize(request, token);
    if (request.url !== CONTROL_STORAGE_NODES_PATH) {
      throw new ControlRequestError(404, `no such control route: ${request.url}`);
    }
    if (request.method !== 'POST') {
      throw new ControlRequestError(405, `${request.url} takes POST, not ${request.method}`);
    }
    const body = parseStartRequest(await readBody(request));
    reply(response, 200, await handlers.startStorageNode(body));
  } catch (error) {
    if (error instanceof ControlRequestError) {
      reply(response, error.statusCode, { error: { message: error.message, exitCode: 1 } });
      return;
    }
    reply(response, 500, { error: await handlers.describeFailure(error) });
  }
}

function authorize(request: IncomingMessage, token: string): void {
  const given = Buffer.from(request.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ControlRequestError(401, 'missing or wrong control token (see cluster.json)');
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > CONTROL_BODY_BYTES_MAX) {
      throw new ControlRequestError(413, `request body over ${CONTROL_BODY_BYTES_MAX} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseStartRequest(text: string): StartStorageNodeRequest {
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ControlRequestError(400, 'request body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ControlRequestError(400, 'request body must be a JSON object');
  }
  const virtualNodes = (body as { virtualNodes?: unknown }).virtualNodes;
  if (virtualNodes !== undefined && !Number.isSafeInteger(virtualNodes)) {
    throw new ControlRequestError(
      400,
      `virtualNodes must be a whole number (got ${JSON.stringify(virtualNodes)})`,
    );
  }
  return { virtualNodes: virtualNodes as number | undefined };
}

function reply(response: ServerResponse, statusCode: number, body: unknown): void {
  response.writeHead(statusCode, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body)}\n`);
}
