// Generated protocol code (ts-proto over proto/), the descriptor set for server reflection and
// the standard services every PairDB gRPC server carries.
export * as coordinatorV1 from './gen/pairdb/coordinator/v1/coordinator';
export * as storageV1 from './gen/pairdb/storage/v1/storage';
export { readDescriptorSet } from './descriptor-set';
export { addStandardServices, type StandardServices } from './standard-services';

/** Fully qualified service names, as reflection and health checks spell them. */
export const COORDINATOR_SERVICE_NAME = 'pairdb.coordinator.v1.CoordinatorService';
export const STORAGE_SERVICE_NAME = 'pairdb.storage.v1.StorageService';
export { checkHealth, listServices, type HealthStatus } from './standard-clients';
export {
  bindServer,
  drainServer,
  GRPC_MESSAGE_BYTES_MAX,
  startGrpcServer,
  type GrpcServerHandle,
} from './server-lifecycle';
/** google.rpc.Status and google.protobuf.Any, for structured error details. */
export * as googleRpc from './gen/google/rpc/status';
export * as googleProtobuf from './gen/google/protobuf/any';
