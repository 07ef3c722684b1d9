// Child process: the bare grpc-js echo server on 127.0.0.1 with a port of its own choosing,
// reported to the parent over IPC as { port }. It stops when the parent disconnects or on SIGTERM.
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { echoServiceDefinition } from './echo-service';

function echo(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
  callback(null, call.request);
}

const server = new Server();
server.addService(echoServiceDefinition, { echo });
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(`echo server: ${error.message}`);
    process.exit(1);
  }
  process.send!({ port });
});

const stop = () => server.tryShutdown(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('disconnect', stop);
