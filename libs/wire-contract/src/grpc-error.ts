// The one builder of the error a gRPC handler answers with. Each service keeps its own table of
// which error class gets which status code (docs/architecture.md, errors); this file only builds
// what both send: the code, the message for people, and a google.rpc.Status in the trailing
// metadata `grpc-status-details-bin` (the key every gRPC implementation's "rich status" decoder
// reads) with any structured details. The status goes with every error, details or not, so a
// client can tell an answer from the server from a failure to reach it without reading text.
import { Metadata, type ServerErrorResponse, type status } from '@grpc/grpc-js';
import { googleProtobuf, googleRpc } from '@pairdb/proto';

/** The trailing metadata key that carries a serialized google.rpc.Status. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** The prefix google.protobuf.Any type URLs use by convention; decoders read past the last `/`. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

export type StatusDetail = googleProtobuf.Any;

/** Packs an encoded message as a google.protobuf.Any naming its full type name. */
export function packDetail(typeName: string, bytes: Uint8Array): StatusDetail {
  return { typeUrl: `${TYPE_URL_PREFIX}${typeName}`, value: Buffer.from(bytes) };
}

export function buildGrpcError(
  code: status,
  error: unknown,
  details: readonly StatusDetail[] = [],
): ServerErrorResponse {
  const message = error instanceof Error ? error.message : String(error);
  const metadata = new Metadata();
  const encoded = googleRpc.Status.encode({ code, message, details: [...details] }).finish();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(encoded));
  return { name: 'PairDBError', message, code, details: message, metadata };
}

/** The google.rpc.Status a failed call carried in its trailers, if any (and if it decodes). */
export function statusDetailsOf(metadata: Metadata | undefined): googleRpc.Status | undefined {
  const [bytes] = metadata?.get(STATUS_DETAILS_KEY) ?? [];
  if (!Buffer.isBuffer(bytes)) return undefined;
  try {
    return googleRpc.Status.decode(bytes);
  } catch {
    // Details are an addition to the code and message: a client that cannot read them still
    // has both, so an undecodable trailer is ignored rather than turned into a second error.
    return undefined;
  }
}

/** The details of `typeName` in `status`, decoded by `decode`. */
export function findDetail<T>(
  status: googleRpc.Status | undefined,
  typeName: string,
  decode: (bytes: Uint8Array) => T,
): T | undefined {
  const detail = status?.details.find(
    (d) => d.typeUrl.slice(d.typeUrl.lastIndexOf('/') + 1) === typeName,
  );
  if (!detail) return undefined;
  try {
    return decode(detail.value);
  } catch {
    return undefined;
  }
}
