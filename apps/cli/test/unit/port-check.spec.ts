// A port already taken is reported by number and role before anything starts.
import { createServer, type Server } from 'node:net';
import { assertPortsFree, PortInUseError } from '../../src/cluster/port-check';

function listen(): Promise<Server> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('assertPortsFree', () => {
  it('names the first busy port and what it was meant for', async () => {
    const busy = await listen();
    const port = (busy.address() as { port: number }).port;
    try {
      const error = await assertPortsFree([{ port, role: 'node-0 gRPC' }]).catch((e) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect(error.message).toContain(`port ${port} (node-0 gRPC)`);
      expect(error.message).toContain('already in use');
      expect(error.message).toContain('--base-port');
    } finally {
      busy.close();
    }
  });

  it('passes ports nobody holds', async () => {
    const server = await listen();
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    await expect(assertPortsFree([{ port, role: 'coordinator gRPC' }])).resolves.toBeUndefined();
  });
});
