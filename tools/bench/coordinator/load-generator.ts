// Child process: one load run. It receives a LoadPlan over IPC, runs `clients` callers in closed
// loop (each sends its next call when the previous one answers) for the warm-up and then the
// measured window, and sends back a LoadResult. It runs apart from the servers it measures, so
// its own work never shares their event loop. All callers share one grpc-js channel, as an
// application's client would: one HTTP/2 connection to one server, or one to each of several
// servers (coordinators, etcd members) with calls spread over them round robin.
import {
  credentials,
  Metadata,
  type ChannelOptions,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { coordinatorV1 } from '@pairdb/proto';
import { build as buildHistogram } from 'hdr-histogram-js';
import { EchoClient } from './echo-service';
import { etcdKvClient } from './etcd-kv';
import {
  BENCH_CONSISTENCY,
  BENCH_TENANT_ID,
  benchKey,
  benchValue,
  echoPayloadBytes,
  writeRequest,
  type LoadMessage,
  type LoadPlan,
  type LoadResult,
} from './workload';

/** A call slower than this counts as an error rather than holding its caller forever. */
const CALL_DEADLINE_MS = 10_000;
/** Histogram range: 1 us to a minute, 3 significant digits. */
const LATENCY_US_MAX = 60_000_000;
const MICROSECONDS_PER_MS = 1_000;

type Done = (error: ServiceError | null) => void;
type Issue = (done: Done) => void;

interface EchoCaller extends Client {
  echo(request: Buffer, metadata: Metadata, options: { deadline: number }, done: Done): void;
}

function callOptions(): { deadline: number } {
  return { deadline: Date.now() + CALL_DEADLINE_MS };
}

interface WorkloadCalls {
  readonly client: Client;
  /** Sends one call of the plan's workload. */
  readonly issue: Issue;
  /** The first key index no call has used yet. */
  nextKeyIndex(): number;
}

/** The channel for `addresses`: one server as it is; several as one target whose calls go
 * round robin over them, as etcd's own client balances over its endpoints. */
function channel(addresses: readonly string[]): { target: string; options: ChannelOptions } {
  if (addresses.length === 1) return { target: addresses[0]!, options: {} };
  return {
    target: `ipv4:${addresses.join(',')}`,
    options: {
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    },
  };
}

function workloadCalls(plan: LoadPlan): WorkloadCalls {
  const insecure = credentials.createInsecure();
  const { target, options } = channel(plan.addresses);
  const value = benchValue(plan.valueBytes);
  let nextKeyIndex = plan.keyOffset;
  if (plan.workload === 'echo') {
    const client = new EchoClient(target, insecure, options) as unknown as EchoCaller;
    const payload = Buffer.alloc(echoPayloadBytes(plan.valueBytes), 0x61);
    return {
      client,
      issue: (done) => client.echo(payload, new Metadata(), callOptions(), done),
      nextKeyIndex: () => nextKeyIndex,
    };
  }
  if (plan.workload === 'etcd-put') {
    const client = etcdKvClient(target, insecure, options);
    return {
      client,
      issue: (done) =>
        client.Put(
          { key: Buffer.from(benchKey(nextKeyIndex++)), value },
          new Metadata(),
          callOptions(),
          done,
        ),
      nextKeyIndex: () => nextKeyIndex,
    };
  }
  const client = new coordinatorV1.CoordinatorServiceClient(target, insecure, options);
  if (plan.workload === 'write') {
    return {
      client,
      issue: (done) =>
        client.writeKeyValue(
          writeRequest(nextKeyIndex++, value),
          new Metadata(),
          callOptions(),
          done,
        ),
      nextKeyIndex: () => nextKeyIndex,
    };
  }
  if (plan.keyCount === 0) throw new Error('the read workload needs keys written before');
  return {
    client,
    issue: (done) =>
      client.readKeyValue(
        {
          tenantId: BENCH_TENANT_ID,
          key: benchKey(Math.floor(Math.random() * plan.keyCount)),
          consistency: BENCH_CONSISTENCY,
        },
        new Metadata(),
        callOptions(),
        done,
      ),
    nextKeyIndex: () => nextKeyIndex,
  };
}

async function run(plan: LoadPlan): Promise<LoadResult> {
  const { client, issue, nextKeyIndex } = workloadCalls(plan);
  const histogram = buildHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_US_MAX,
    numberOfSignificantValueDigits: 3,
  });
  let operations = 0;
  let errors = 0;
  let firstError: string | undefined;
  // The window opens and closes on timers, which also tell the parent to read every server's
  // CPU time, so both measure the same interval.
  let phase: 'warm-up' | 'measuring' | 'done' = 'warm-up';
  let openedMs = 0;
  let closedMs = 0;
  setTimeout(() => {
    phase = 'measuring';
    openedMs = performance.now();
    report({ kind: 'window-open' });
  }, plan.warmupMs);
  const closing = new Promise<void>((resolve) =>
    setTimeout(() => {
      phase = 'done';
      closedMs = performance.now();
      report({ kind: 'window-closed' });
      resolve();
    }, plan.warmupMs + plan.durationMs),
  );

  const caller = () =>
    new Promise<void>((resolve) => {
      const next = () => {
        const sent = performance.now();
        issue((error) => {
          if (phase === 'measuring') {
            if (error) {
              errors++;
              firstError ??= `${error.code}: ${error.details || error.message}`;
            } else {
              operations++;
              const latencyMs = performance.now() - sent;
              histogram.recordValue(Math.round(latencyMs * MICROSECONDS_PER_MS));
            }
          }
          if (phase === 'done') resolve();
          else next();
        });
      };
      next();
    });
  await Promise.all([closing, ...Array.from({ length: plan.clients }, caller)]);
  client.close();
  const windowMs = closedMs - openedMs;

  const ms = (percentile: number) =>
    histogram.getValueAtPercentile(percentile) / MICROSECONDS_PER_MS;
  return {
    workload: plan.workload,
    clients: plan.clients,
    operations,
    errors,
    firstError,
    windowMs,
    operationsPerSecond: operations / (windowMs / 1_000),
    p50Ms: ms(50),
    p99Ms: ms(99),
    p999Ms: ms(99.9),
    maxMs: histogram.maxValue / MICROSECONDS_PER_MS,
    nextKeyIndex: nextKeyIndex(),
  };
}

function report(message: LoadMessage, sent: () => void = () => undefined): void {
  process.send!(message, sent);
}

process.once('message', (plan: LoadPlan) => {
  run(plan).then(
    (result) => report({ kind: 'result', result }, () => process.disconnect()),
    (error: Error) => {
      console.error(`load generator: ${error.message}`);
      process.exit(1);
    },
  );
});
