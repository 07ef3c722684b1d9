// The standard services every PairDB gRPC server carries so stock tools work against it:
// grpc.health.v1.Health (grpc_health_probe, Kubernetes gRPC probes) and server reflection
// (grpcurl list/describe).
import type { Server } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { readDescriptorSet } from './descriptor-set';

export interface StandardServices {
  /** Marks the server and each named service SERVING or NOT_SERVING. */
  setServing(serving: boolean): void;
}

export function addStandardServices(
  server: Server,
  serviceNames: readonly string[],
  descriptorSearchDirs: readonly string[] = [],
): StandardServices {
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  const pairdbDefinition = protoLoader.loadFileDescriptorSetFromBuffer(
    readDescriptorSet(descriptorSearchDirs),
  );
  const healthDefinition = protoLoader.loadSync(healthProtoPath);
  new ReflectionService({ ...pairdbDefinition, ...healthDefinition }).addToServer(server);
  const setServing = (serving: boolean): void => {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    for (const name of serviceNames) health.setStatus(name, status);
  };
  setServing(false);
  return { setServing };
}
