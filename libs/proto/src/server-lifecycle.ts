// Starting and draining a grpc-js server, the same way in every PairDB process.
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { addStandardServices } from './standard-services';

/** Largest gRPC message a PairDB server or client accepts: a batch of values up to 1 MiB. */
export const GRPC_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

/** Binds `host:port` without TLS; resolves to the bound port (useful with port 0). */
export function bindServer(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
}

/** Stops accepting and waits for calls in flight, for at most `timeoutMs`, then cuts the rest. */
export function drainServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface GrpcServerHandle {
  readonly port: number;
  /** Health status of the server and its service (grpc.health.v1). */
  setServing(serving: boolean): void;
  /** Marks the server NOT_SERVING, then drains it (see drainServer). */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * A PairDB gRPC server: one service, plus health and reflection, bound to `host:port` and
 * marked SERVING once listening.
 */
export async function startGrpcServer(options: {
  host: string;
  port: number;
  service: ServiceDefinition;
  implementation: UntypedServiceImplementation;
  serviceName: string;
}): Promise<GrpcServerHandle> {
  const server = new Server({
    'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
    'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
  });
  server.addService(options.service, options.implementation);
  const standard = addStandardServices(server, [options.serviceName]);
  const port = await bindServer(server, options.host, options.port);
  standard.setServing(true);
  return {
    port,
    setServing: standard.setServing,
    drain: async (timeoutMs) => {
      standard.setServing(false);
      await drainServer(server, timeoutMs);
    },
  };
}
