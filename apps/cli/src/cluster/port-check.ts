// Before starting anything, every port of the layout must be free: a clear error naming the
// port beats a child process dying with EADDRINUSE halfway through start-up.
import { createServer } from 'node:net';
import { CommandError } from '../exit-codes';
import { LOOPBACK_HOST } from './cluster-layout';

export class PortInUseError extends CommandError {
  constructor(
    readonly port: number,
    readonly role: string,
    reason: string,
  ) {
    super(
      `port ${port} (${role}) is not available on ${LOOPBACK_HOST}: ${reason}. ` +
        'Stop whatever holds it (another cluster? `pairdb cluster stop`), or choose other ports ' +
        'with --base-port, --http-port and --metrics-port.',
    );
    this.name = 'PortInUseError';
  }
}

function tryListen(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ port, host: LOOPBACK_HOST, exclusive: true }, () =>
      server.close(() => resolve(undefined)),
    );
  });
}

export async function assertPortsFree(
  ports: readonly { port: number; role: string }[],
): Promise<void> {
  for (const { port, role } of ports) {
    const error = await tryListen(port);
    if (error) {
      const reason = error.code === 'EADDRINUSE' ? 'already in use' : (error.code ?? error.message);
      throw new PortInUseError(port, role, reason);
    }
  }
}
