// What the benchmark sends and what a load run reports, shared by the orchestrator (bench.ts)
// and the load generator child process (load-generator.ts), which talk over Node's IPC channel.
//
// Keys are KEY_BYTES long: 'k' and a zero-padded decimal index, so the write workload numbers its
// keys and the read workload can pick any key a write workload stored before. etcd-put writes
// keys of the same shape and values of the same size to etcd.
import { coordinatorV1 } from '@pairdb/proto';

/** The request shape: 16-byte keys. */
export const KEY_BYTES = 16;
/** The first benchmark's value size, kept as the default so figures stay comparable; the
 * etcd comparison's targets are stated for 1 KiB (`--value-bytes 1024`). */
export const DEFAULT_VALUE_BYTES = 100;
export const BENCH_TENANT_ID = 'bench';
export const BENCH_CONSISTENCY = 'quorum';

export type WorkloadName = 'echo' | 'write' | 'read' | 'etcd-put';

/** One closed-loop run, sent by the orchestrator to a fresh load generator. */
export interface LoadPlan {
  readonly workload: WorkloadName;
  /** host:port of every server the calls are spread over (round robin when more than one):
   * the echo server, the coordinators, or the etcd members. */
  readonly addresses: readonly string[];
  readonly clients: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly valueBytes: number;
  /** write, etcd-put: index of the first key to write; read: keys [0, keyCount) exist. */
  readonly keyOffset: number;
  readonly keyCount: number;
}

/** What one run measured; latencies only of calls that completed inside the measured window. */
export interface LoadResult {
  readonly workload: WorkloadName;
  readonly clients: number;
  /** Calls that succeeded inside the measured window. */
  readonly operations: number;
  /** Calls that failed inside the measured window. */
  readonly errors: number;
  /** The first failure's message, to say why errors is not 0. */
  readonly firstError: string | undefined;
  readonly windowMs: number;
  readonly operationsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** write, etcd-put: the next unused key index, so later runs know which keys exist. */
  readonly nextKeyIndex: number;
}

/** Load generator -> orchestrator: the measured window opening and closing, then the result. */
export type LoadMessage =
  | { readonly kind: 'window-open' }
  | { readonly kind: 'window-closed' }
  | { readonly kind: 'result'; readonly result: LoadResult };

export function benchKey(index: number): string {
  return 'k' + String(index).padStart(KEY_BYTES - 1, '0');
}

/** A fixed value: the bytes do not matter to a key-value store, only their count. */
export function benchValue(valueBytes: number): Buffer {
  return Buffer.alloc(valueBytes, 0x61);
}

export function writeRequest(index: number, value: Buffer): coordinatorV1.WriteKeyValueRequest {
  return coordinatorV1.WriteKeyValueRequest.fromPartial({
    tenantId: BENCH_TENANT_ID,
    key: benchKey(index),
    value,
    consistency: BENCH_CONSISTENCY,
  });
}

/** The echo payload is as long as an encoded write request, so both carry the same bytes. */
export function echoPayloadBytes(valueBytes: number): number {
  return coordinatorV1.WriteKeyValueRequest.encode(writeRequest(0, benchValue(valueBytes))).finish()
    .length;
}
