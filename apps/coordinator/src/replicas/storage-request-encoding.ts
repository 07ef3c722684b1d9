// The storage WriteRequest and DeleteRequest (proto/pairdb/storage/v1/storage.proto), encoded
// with protobuf-writer.ts: every write encodes one of them. Field numbers mirror storage.proto.
import type { storageV1 } from '@pairdb/proto';
import {
  delimitedSize,
  int32Size,
  int64Size,
  ProtobufWriter,
  stringFieldSize,
} from './protobuf-writer';

/** VersionVectorEntry and Dot share this shape: actor = 1, counter = 2. */
interface ActorCounter {
  readonly actor: string;
  readonly counter: bigint;
}

function actorCounterSize(entry: ActorCounter): number {
  return stringFieldSize(entry.actor) + (entry.counter !== 0n ? 1 + int64Size(entry.counter) : 0);
}

function writeActorCounter(writer: ProtobufWriter, field: number, entry: ActorCounter): void {
  writer.delimited(field, actorCounterSize(entry)).string(1, entry.actor);
  if (entry.counter !== 0n) writer.int64Field(2, entry.counter);
}

function hintTargetSize(target: storageV1.HintTarget): number {
  return stringFieldSize(target.nodeId) + stringFieldSize(target.address);
}

/** The fields WriteRequest and DeleteRequest share after tenant_id and key (and value). */
interface WriteFields {
  readonly context: readonly ActorCounter[];
  readonly dot: ActorCounter | undefined;
  readonly conflictPolicy: number;
  readonly hintFor: storageV1.HintTarget | undefined;
  readonly replyClockOnly: boolean;
  readonly ringVersion: bigint;
}

/** Field numbers of context, dot, conflict_policy, hint_for, reply_clock_only, ring_version. */
type WriteFieldNumbers = readonly [number, number, number, number, number, number];

const WRITE_REQUEST_FIELDS: WriteFieldNumbers = [4, 5, 6, 7, 8, 9];
const DELETE_REQUEST_FIELDS: WriteFieldNumbers = [3, 4, 5, 6, 7, 8];

function writeFieldsSize(request: WriteFields): number {
  let size = 0;
  for (const entry of request.context) size += delimitedSize(actorCounterSize(entry));
  if (request.dot !== undefined) size += delimitedSize(actorCounterSize(request.dot));
  if (request.conflictPolicy !== 0) size += 1 + int32Size(request.conflictPolicy);
  if (request.hintFor !== undefined) size += delimitedSize(hintTargetSize(request.hintFor));
  if (request.replyClockOnly) size += 2;
  if (request.ringVersion !== 0n) size += 1 + int64Size(request.ringVersion);
  return size;
}

function writeWriteFields(
  writer: ProtobufWriter,
  request: WriteFields,
  [context, dot, conflictPolicy, hintFor, replyClockOnly, ringVersion]: WriteFieldNumbers,
): void {
  for (const entry of request.context) writeActorCounter(writer, context, entry);
  if (request.dot !== undefined) writeActorCounter(writer, dot, request.dot);
  if (request.conflictPolicy !== 0) writer.int32Field(conflictPolicy, request.conflictPolicy);
  if (request.hintFor !== undefined) {
    writer
      .delimited(hintFor, hintTargetSize(request.hintFor))
      .string(1, request.hintFor.nodeId)
      .string(2, request.hintFor.address);
  }
  if (request.replyClockOnly) writer.boolField(replyClockOnly);
  if (request.ringVersion !== 0n) writer.int64Field(ringVersion, request.ringVersion);
}

export function encodeWriteRequest(request: storageV1.WriteRequest): Buffer {
  const valueSize = request.value.length !== 0 ? delimitedSize(request.value.length) : 0;
  const writer = new ProtobufWriter(
    stringFieldSize(request.tenantId) +
      stringFieldSize(request.key) +
      valueSize +
      writeFieldsSize(request),
  );
  writer.string(1, request.tenantId).string(2, request.key);
  if (request.value.length !== 0) writer.bytes(3, request.value);
  writeWriteFields(writer, request, WRITE_REQUEST_FIELDS);
  return writer.finish();
}

export function encodeDeleteRequest(request: storageV1.DeleteRequest): Buffer {
  const writer = new ProtobufWriter(
    stringFieldSize(request.tenantId) + stringFieldSize(request.key) + writeFieldsSize(request),
  );
  writer.string(1, request.tenantId).string(2, request.key);
  writeWriteFields(writer, request, DELETE_REQUEST_FIELDS);
  return writer.finish();
}
