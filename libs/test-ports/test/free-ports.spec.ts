import { createServer, type Server } from 'node:net';
import { ephemeralPortRange, freePort, freePortBlock, pickRange } from '../src';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('free ports for test servers', () => {
  it('reads the ephemeral range from /proc, and falls back to the Linux default', () => {
    expect(ephemeralPortRange(() => '40000\t50000\n')).toEqual({ low: 40_000, high: 50_000 });
    expect(ephemeralPortRange(() => 'garbage')).toEqual({ low: 32_768, high: 60_999 });
    expect(
      ephemeralPortRange(() => {
        throw new Error('ENOENT');
      }),
    ).toEqual({ low: 32_768, high: 60_999 });
  });

  it('picks ports below the ephemeral range that a server can then bind', async () => {
    const { low } = ephemeralPortRange();
    const picked = new Set<number>();
    for (let i = 0; i < 20; i++) picked.add(await freePort());
    for (const port of picked) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
    }
    const servers = await Promise.all([...picked].map(listen));
    await Promise.all(servers.map(close));
  });

  it('picks above the range when too few ports lie below it', async () => {
    const port = await freePortBlock(1, new Set(), { low: 12_000, high: 50_000 });
    expect(port).toBeGreaterThan(50_000);
    expect(port).toBeLessThanOrEqual(65_535);
  });

  it('picks anywhere above 10000 when the ephemeral range leaves too little on either side', () => {
    expect(pickRange({ low: 1024, high: 65_535 })).toEqual({ low: 10_000, high: 65_535 });
    expect(pickRange({ low: 32_768, high: 60_999 })).toEqual({ low: 10_000, high: 32_767 });
    expect(pickRange({ low: 12_000, high: 50_000 })).toEqual({ low: 50_001, high: 65_535 });
    expect(pickRange({ low: 12_000, high: 60_999 })).toEqual({ low: 10_000, high: 65_535 });
  });

  it('never hands out a port twice, though the first one is not bound yet', async () => {
    // 10000-15000: 400 random picks from 5,001 ports would repeat one with near certainty.
    const range = { low: 15_001, high: 60_999 };
    const picked = new Set<number>();
    for (let i = 0; i < 400; i++) picked.add(await freePortBlock(1, new Set(), range));
    expect(picked.size).toBe(400);
  });

  it('finds a block of consecutive free ports that avoids the given ones and a bound port', async () => {
    const first = await freePortBlock(4);
    const taken = await listen(first + 2);
    try {
      const avoid = new Set([first]);
      for (let i = 0; i < 10; i++) {
        const start = await freePortBlock(4, avoid);
        for (let port = start; port < start + 4; port++) {
          expect(avoid.has(port)).toBe(false);
          expect(port).not.toBe(first + 2);
        }
      }
    } finally {
      await close(taken);
    }
  });
});
