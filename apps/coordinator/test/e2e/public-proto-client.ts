// A client built the way other languages build theirs: from the public coordinator.proto file
// at run time (@grpc/proto-loader), with the proto's own snake_case field names and int64 as
// decimal strings. It shares nothing with the ts-proto code the services use, so a test through
// it checks the wire contract itself. Error details are read the same way: the standard
// google.rpc.Status from `grpc-status-details-bin`, each Any unpacked by its type URL, with a
// stock protobuf runtime (protobufjs) loading the .proto files.
import path from 'node:path';
import { credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const PROTO_ROOT = path.resolve(__dirname, '../../../../proto');
const COORDINATOR_PROTO = 'pairdb/coordinator/v1/coordinator.proto';
const STATUS_PROTO = 'google/rpc/status.proto';

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

export interface DecodedStatus {
  code: number;
  message: string;
  /** Each detail's type name (from its type URL) and its fields, snake_case. */
  details: { typeName: string; fields: Fields }[];
}

/** The google.rpc.Status a failed call carried in `grpc-status-details-bin`, if any. */
export function decodeStatusDetails(error: ServiceError): DecodedStatus | undefined {
  const [bytes] = error.metadata?.get('grpc-status-details-bin') ?? [];
  if (!Buffer.isBuffer(bytes)) return undefined;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? target : path.join(PROTO_ROOT, target);
  root.loadSync([STATUS_PROTO, COORDINATOR_PROTO], { keepCase: true });
  const options = { longs: String, defaults: true };
  const status = root
    .lookupType('google.rpc.Status')
    .toObject(root.lookupType('google.rpc.Status').decode(bytes), options) as {
    code: number;
    message: string;
    details: { type_url: string; value: Uint8Array }[];
  };
  return {
    code: status.code,
    message: status.message,
    details: status.details.map((any) => {
      const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
      const type = root.lookupType(typeName);
      return { typeName, fields: type.toObject(type.decode(any.value), options) };
    }),
  };
}
