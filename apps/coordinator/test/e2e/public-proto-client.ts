// A client built the way other languages build theirs: from the public coordinator.proto file
// at run time (@grpc/proto-loader), with the proto's own snake_case field names and int64 as
// decimal strings. It shares nothing with the ts-proto code the services use, so a test through
// it checks the wire contract itself.
import path from 'node:path';
import { credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO_ROOT = path.resolve(__dirname, '../../../../proto');
const COORDINATOR_PROTO = 'pairdb/coordinator/v1/coordinator.proto';

export type Fields = Record<string, unknown>;

type UnaryMethod = (
  request: Fields,
  options: { deadline: Date },
  callback: (error: ServiceError | null, reply: Fields) => void,
) => void;

export class PublicProtoClient {
  private readonly stub: Record<string, UnaryMethod> & { close(): void };

  constructor(address: string) {
    const definition = loadSync(COORDINATOR_PROTO, {
      includeDirs: [PROTO_ROOT],
      keepCase: true,
      longs: String,
      defaults: true,
    });
    const loaded = loadPackageDefinition(definition) as unknown as {
      pairdb: { coordinator: { v1: { CoordinatorService: new (...args: unknown[]) => never } } };
    };
    const Service = loaded.pairdb.coordinator.v1.CoordinatorService;
    this.stub = new Service(address, credentials.createInsecure());
  }

  /** Calls `method` (as named in the proto) with a 10 s deadline. */
  call(method: string, request: Fields): Promise<Fields> {
    const unary = this.stub[method];
    if (typeof unary !== 'function') throw new Error(`no method ${method} in coordinator.proto`);
    return new Promise((resolve, reject) => {
      unary.call(this.stub, request, { deadline: new Date(Date.now() + 10_000) }, (error, reply) =>
        error ? reject(error) : resolve(reply),
      );
    });
  }

  close(): void {
    this.stub.close();
  }
}
