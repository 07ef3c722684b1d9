// What the transport under the coordinator's Exchange stream costs per batch: a grpc-js
// bidirectional stream (what storage-connections.ts uses) against length-prefixed frames on a
// plain TCP socket, carrying the same bytes. The server answers each batch on the next turn
// with a 60-byte result per item, as a storage node does, and does nothing else, so the CPU
// measured is the transport's own. Prints a table; asserts nothing.
//
//   npx nx run coordinator:bench-exchange-transport [-- --items 1,4,16,32 --duration 5]
//
// Read with docs/benchmarks.md#coordinator-vs-a-bare-grpc-echo-and-etcd: at 16 and 64 clients
// the coordinator's batches hold 16 and ~29 items, which divides the per-batch difference.
import {
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type Client,
  type ClientDuplexStream,
  type ServerDuplexStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { forkTypeScript } from './load-run';
import { cpuSecondsOf } from './process-cpu';
import { alignedTable } from './report';

/** An encoded 1 KiB write request with its item header, as the coordinator sends it. */
const ITEM_BYTES = 1_100;
/** An encoded write result (id and the replica's clock). */
const RESULT_BYTES = 60;
/** Batches each client keeps in flight: the coordinator's rounds overlap a little. */
const BATCHES_IN_FLIGHT = 4;
const FRAME_HEADER_BYTES = 4;

type Transport = 'grpc' | 'tcp';

const identity = (bytes: Buffer) => bytes;
const definition: ServiceDefinition = {
  exchange: {
    path: '/pairdb.bench.Transport/Exchange',
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** Calls `onFrame` with each whole length-prefixed frame in what `socket` receives. */
function readFrames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= FRAME_HEADER_BYTES) {
      const length = pending.readUInt32BE(0);
      if (pending.length < FRAME_HEADER_BYTES + length) break;
      onFrame(pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length));
      pending = pending.subarray(FRAME_HEADER_BYTES + length);
    }
  });
}

function writeFrame(socket: Socket, body: Buffer): void {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  socket.cork();
  socket.write(header);
  socket.write(body);
  socket.uncork();
}

/** The child: answers every batch with RESULT_BYTES per item; reports its port over IPC. */
function serve(transport: Transport): void {
  const answer = (batch: Buffer) => Buffer.alloc(RESULT_BYTES * (batch.length / ITEM_BYTES), 1);
  if (transport === 'grpc') {
    const server = new Server();
    server.addService(definition, {
      exchange: (call: ServerDuplexStream<Buffer, Buffer>) =>
        call.on('data', (batch: Buffer) => setImmediate(() => call.write(answer(batch)))),
    });
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
      if (error) throw error;
      process.send!({ port });
    });
  } else {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined); // the client resets it when a row ends
      readFrames(socket, (batch) => setImmediate(() => writeFrame(socket, answer(batch))));
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
    });
  }
  process.on('disconnect', () => process.exit(0));
}

/** A client that sends `batch` again each time a reply comes back; counts replies. */
interface Driver {
  replies: number;
  stop(): void;
}

function drive(transport: Transport, port: number, batch: Buffer): Driver {
  const driver = { replies: 0, stopped: false, stop: () => undefined as void };
  if (transport === 'grpc') {
    const Constructor = makeGenericClientConstructor(definition, 'Transport');
    const client = new Constructor(
      `127.0.0.1:${port}`,
      credentials.createInsecure(),
    ) as unknown as Client & {
      exchange(): ClientDuplexStream<Buffer, Buffer>;
    };
    const stream = client.exchange();
    stream.on('data', () => {
      driver.replies++;
      if (!driver.stopped) setImmediate(() => stream.write(batch));
    });
    stream.on('error', () => undefined);
    for (let i = 0; i < BATCHES_IN_FLIGHT; i++) stream.write(batch);
    driver.stop = () => {
      driver.stopped = true;
      stream.cancel();
      client.close();
    };
  } else {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('error', (error) => {
      if (!driver.stopped) throw error;
    });
    readFrames(socket, () => {
      driver.replies++;
      if (!driver.stopped) setImmediate(() => writeFrame(socket, batch));
    });
    for (let i = 0; i < BATCHES_IN_FLIGHT; i++) writeFrame(socket, batch);
    driver.stop = () => {
      driver.stopped = true;
      socket.destroy();
    };
  }
  return driver;
}

interface Row {
  transport: Transport;
  items: number;
  batchesPerSecond: number;
  clientUsPerBatch: number;
  serverUsPerBatch: number;
}

async function measure(
  transport: Transport,
  items: number,
  warmupMs: number,
  durationMs: number,
): Promise<Row> {
  const child = forkTypeScript(path.basename(__filename), ['--serve', transport]);
  try {
    const [{ port }] = (await once(child, 'message')) as [{ port: number }];
    const driver = drive(transport, port, Buffer.alloc(ITEM_BYTES * items, 7));
    await new Promise((resolve) => setTimeout(resolve, warmupMs));
    const replies = driver.replies;
    const clientCpu = process.cpuUsage();
    const serverCpu = cpuSecondsOf(child.pid!) ?? NaN;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const batches = driver.replies - replies;
    const clientUs = process.cpuUsage(clientCpu);
    const serverUs = ((cpuSecondsOf(child.pid!) ?? NaN) - serverCpu) * 1e6;
    const seconds = (performance.now() - started) / 1000;
    driver.stop();
    return {
      transport,
      items,
      batchesPerSecond: batches / seconds,
      clientUsPerBatch: (clientUs.user + clientUs.system) / batches,
      serverUsPerBatch: serverUs / batches,
    };
  } finally {
    child.disconnect();
  }
}

const COLUMNS: readonly { title: string; cell: (row: Row) => string }[] = [
  { title: 'transport', cell: (row) => row.transport },
  { title: 'items/batch', cell: (row) => String(row.items) },
  { title: 'batches/s', cell: (row) => row.batchesPerSecond.toFixed(0) },
  { title: 'client us/batch', cell: (row) => row.clientUsPerBatch.toFixed(1) },
  { title: 'server us/batch', cell: (row) => row.serverUsPerBatch.toFixed(1) },
  { title: 'client us/item', cell: (row) => (row.clientUsPerBatch / row.items).toFixed(2) },
  { title: 'server us/item', cell: (row) => (row.serverUsPerBatch / row.items).toFixed(2) },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      items: { type: 'string', default: '1,4,16,32' },
      duration: { type: 'string', default: '5' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.serve) return serve(values.serve as Transport);
  if (values.help) {
    console.log(
      'usage: exchange-transport.ts [--items 1,4,16,32] [--duration S]\n' +
        '  CPU per Exchange batch: grpc-js bidirectional stream vs length-prefixed TCP frames',
    );
    return;
  }
  const durationMs = Number(values.duration) * 1000;
  const sizes = values.items.split(',').map(Number);
  if (!(durationMs > 0) || sizes.some((size) => !(Number.isInteger(size) && size > 0))) {
    throw new Error(`--duration ${values.duration} / --items ${values.items}: positive numbers`);
  }
  console.log(
    `Exchange transport: ${ITEM_BYTES}-byte items, ${RESULT_BYTES}-byte results, ` +
      `${BATCHES_IN_FLIGHT} batches in flight, ${values.duration} s per row after 1 s warm-up`,
  );
  const rows: Row[] = [];
  for (const items of sizes) {
    for (const transport of ['grpc', 'tcp'] as const) {
      rows.push(await measure(transport, items, 1_000, durationMs));
    }
  }
  console.log(alignedTable(COLUMNS, rows, new Set(['transport'])).join('\n'));
}

void main().catch((error: Error) => {
  console.error(`exchange-transport: ${error.message}`);
  process.exit(1);
});
