// The standard services every PairDB gRPC server carries so stock tools work against it:
// grpc.health.v1.Health (grpc_health_probe, Kubernetes gRPC probes) and server reflection
// (grpcurl list/describe).
import type { Server } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { readDescriptorSet } from './descriptor-set';

const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

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
  // The descriptor set holds both PairDB services; list only what this server answers, so that
  // `grpcurl list` never offers a service whose calls would be UNIMPLEMENTED here.
  new ReflectionService(
    { ...pairdbDefinition, ...healthDefinition },
    { services: [...serviceNames, HEALTH_SERVICE_NAME] },
  ).addToServer(server);
  const setServing = (serving: boolean): void => {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    for (const name of serviceNames) health.setStatus(name, status);
  };
  setServing(false);
  return { setServing };
}
