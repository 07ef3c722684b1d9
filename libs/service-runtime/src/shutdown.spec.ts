import pino from 'pino';
import { installShutdownHandlers } from './shutdown';

describe('installShutdownHandlers', () => {
  const logger = pino({ level: 'silent' });
  afterEach(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });

  it('exits 0 after a graceful stop completes', async () => {
    const exits: number[] = [];
    const order: string[] = [];
    const trigger = installShutdownHandlers({
      logger,
      stop: async () => {
        order.push('stopped');
      },
      exit: (code) => exits.push(code),
    });
    await trigger();
    expect(order).toEqual(['stopped']);
    expect(exits).toEqual([0]);
  });

  it('exits 1 when the stop fails', async () => {
    const exits: number[] = [];
    const trigger = installShutdownHandlers({
      logger,
      stop: () => Promise.reject(new Error('flush failed')),
      exit: (code) => exits.push(code),
    });
    await trigger();
    expect(exits).toEqual([1]);
  });

  it('exits 1 at once on a second signal during a slow stop', async () => {
    const exits: number[] = [];
    let finish!: () => void;
    installShutdownHandlers({
      logger,
      stop: () => new Promise<void>((resolve) => (finish = resolve)),
      exit: (code) => exits.push(code),
    });
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    expect(exits).toEqual([1]);
    finish();
  });
});
