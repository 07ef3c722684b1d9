// Clients of the standard services (health, reflection), for tools and tests that check a
// PairDB server the way grpc_health_probe and grpcurl do.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import * as path from 'node:path';

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

type HealthCheck = (
  request: { service: string },
  metadata: grpc.Metadata,
  options: { deadline: number },
  callback: (error: grpc.ServiceError | null, response: { status: HealthStatus }) => void,
) => void;

const HealthClient = grpc.makeGenericClientConstructor(healthService, 'Health');

/** grpc.health.v1.Health/Check; '' asks about the server as a whole. */
export async function checkHealth(
  address: string,
  serviceName = '',
  timeoutMs = 2_000,
): Promise<HealthStatus> {
  const client = new HealthClient(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    check: HealthCheck;
  };
  try {
    return await new Promise<HealthStatus>((resolve, reject) =>
      client.check(
        { service: serviceName },
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response.status)),
      ),
    );
  } finally {
    client.close();
  }
}

type ListReply = { list_services_response?: { service: { name: string }[] } };
type ReflectionClient = grpc.Client & {
  ServerReflectionInfo(
    metadata: grpc.Metadata,
    options: { deadline: number },
  ): grpc.ClientDuplexStream<object, ListReply>;
};

/** The services a server lists through grpc.reflection.v1 (what `grpcurl list` prints). */
export async function listServices(address: string, timeoutMs = 2_000): Promise<string[]> {
  const reflectionProto = path.join(
    path.dirname(require.resolve('@grpc/reflection/package.json')),
    'build/proto/grpc/reflection/v1/reflection.proto',
  );
  const loaded = grpc.loadPackageDefinition(
    protoLoader.loadSync(reflectionProto, { keepCase: true }),
  ) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new loaded.grpc.reflection.v1.ServerReflection(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as ReflectionClient;
  try {
    const call = client.ServerReflectionInfo(new grpc.Metadata(), {
      deadline: Date.now() + timeoutMs,
    });
    return await new Promise<string[]>((resolve, reject) => {
      call.on('data', (reply: ListReply) => {
        resolve((reply.list_services_response?.service ?? []).map((s) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
  } finally {
    client.close();
  }
}
