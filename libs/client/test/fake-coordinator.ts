// A scripted CoordinatorService on 127.0.0.1 (a port of its own) for client tests: each RPC
// answers from a queue of outcomes, and every request it receives is recorded. Errors are built
// as the coordinator builds them (a google.rpc.Status in the trailers, with any details).
import {
  type Deadline,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { coordinatorV1, storageV1 } from '@pairdb/proto';
import { buildGrpcError, type StatusDetail } from '@pairdb/wire-contract';

export type Outcome<Res> =
  | { reply: Res }
  | { error: status; message: string; details?: StatusDetail[] }
  /** Never answer: the caller's deadline has to end the call. */
  | { hang: true };

type Method = keyof typeof coordinatorV1.CoordinatorServiceService;

export class FakeCoordinator {
  readonly received = new Map<string, unknown[]>();
  private readonly deadlinesSeen = new Map<string, Deadline[]>();
  private readonly script = new Map<string, Outcome<unknown>[]>();
  private readonly server = new Server();
  port = 0;

  /** The next answers of `method`, in order; the last one repeats once the queue runs dry. */
  on<Res>(method: Method, ...outcomes: Outcome<Res>[]): this {
    this.script.set(method, outcomes as Outcome<unknown>[]);
    return this;
  }

  calls(method: Method): unknown[] {
    return this.received.get(method) ?? [];
  }

  /** The deadline each call of `method` arrived with, as the server computed it. */
  deadlines(method: Method | string): Deadline[] {
    return this.deadlinesSeen.get(method) ?? [];
  }

  async start(): Promise<void> {
    const implementation: UntypedServiceImplementation = {};
    for (const method of Object.keys(coordinatorV1.CoordinatorServiceService)) {
      implementation[method] = (
        call: ServerUnaryCall<unknown, unknown>,
        callback: sendUnaryData<unknown>,
      ) => {
        this.deadlinesSeen.set(method, [...this.deadlines(method), call.getDeadline()]);
        this.answer(method, call.request, callback);
      };
    }
    this.server.addService(coordinatorV1.CoordinatorServiceService, implementation);
    this.addStorageHealth();
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** The internal storage HealthCheck too, so the node probe can be tested on this server. */
  healthReply: storageV1.HealthCheckResponse = storageV1.HealthCheckResponse.fromPartial({});

  private addStorageHealth(): void {
    this.server.addService(storageV1.StorageServiceService, {
      healthCheck: (_call: unknown, callback: sendUnaryData<storageV1.HealthCheckResponse>) =>
        callback(null, this.healthReply),
    } as unknown as UntypedServiceImplementation);
  }

  private answer(method: string, request: unknown, callback: sendUnaryData<unknown>): void {
    const seen = this.received.get(method) ?? [];
    seen.push(request);
    this.received.set(method, seen);
    const queue = this.script.get(method) ?? [];
    const outcome = queue.length > 1 ? queue.shift()! : queue[0];
    if (outcome === undefined) {
      callback({ code: status.UNIMPLEMENTED, details: `no script for ${method}` });
    } else if ('hang' in outcome) {
      return;
    } else if ('error' in outcome) {
      callback(buildGrpcError(outcome.error, new Error(outcome.message), outcome.details));
    } else {
      callback(null, outcome.reply);
    }
  }
}
