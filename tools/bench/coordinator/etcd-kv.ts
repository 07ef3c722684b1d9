// A grpc-js client of etcd's KV service (only Put, from etcd-kv.proto), for the etcd-put
// workload and for the readiness check of the etcd cluster the benchmark starts.
import * as path from 'node:path';
import {
  loadPackageDefinition,
  type ChannelOptions,
  type ChannelCredentials,
  type Client,
  type Metadata,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export interface EtcdPutRequest {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface EtcdKvClient extends Client {
  Put(
    request: EtcdPutRequest,
    metadata: Metadata,
    options: { deadline: number },
    done: (error: ServiceError | null) => void,
  ): void;
}

const definition = loadSync(path.join(__dirname, 'etcd-kv.proto'), { keepCase: true });
const { etcdserverpb } = loadPackageDefinition(definition) as unknown as {
  etcdserverpb: { KV: ServiceClientConstructor };
};

export function etcdKvClient(
  target: string,
  channelCredentials: ChannelCredentials,
  options?: ChannelOptions,
): EtcdKvClient {
  return new etcdserverpb.KV(target, channelCredentials, options) as unknown as EtcdKvClient;
}
