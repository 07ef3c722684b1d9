// The baseline of docs/architecture.md#performance-design: a bare grpc-js unary method that returns
// the bytes it was sent. Serializers are the identity, so the figure is grpc-js itself (HTTP/2
// framing, call setup, one event loop) with no protobuf or application work on either side.
import { makeGenericClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';

const identity = (bytes: Buffer): Buffer => bytes;

export const echoServiceDefinition: ServiceDefinition = {
  echo: {
    path: '/pairdb.bench.v1.EchoService/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export const EchoClient = makeGenericClientConstructor(echoServiceDefinition, 'EchoService');
