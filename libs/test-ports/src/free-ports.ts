// Loopback ports for the servers a test starts, picked before the server binds them (a cluster
// layout, or a node that must come back on the same address, needs them known in advance).
//
// They come from below the kernel's ephemeral range. A port picked by binding port 0 lies inside
// that range, and between the pick and the server's own bind any outgoing connection (a gRPC
// client, PostgreSQL, Redis) may get it as its source port: the server then fails with
// EADDRINUSE. Ports below the range are only ever taken by an explicit bind, so the remaining
// risk is two tests picking the same random port at the same moment.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface PortRange {
  /** First port, inclusive. */
  readonly low: number;
  /** Last port, inclusive. */
  readonly high: number;
}

/** Linux's default ip_local_port_range, assumed where /proc does not say. */
const DEFAULT_EPHEMERAL: PortRange = { low: 32_768, high: 60_999 };
/** Below this, ports are the well-known services' and those of common local servers. */
const PICK_FROM = 10_000;
/** A side of the ephemeral range with fewer free ports than this is not worth picking from. */
const PICK_SPAN_MIN = 5_000;
const PORT_MAX = 65_535;
const ATTEMPTS_MAX = 200;

/** The kernel's ephemeral port range (Linux /proc), or the Linux default elsewhere. */
export function ephemeralPortRange(
  read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): PortRange {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && low! <= high!) {
      return { low: low!, high: high! };
    }
  } catch {
    // no /proc: not Linux
  }
  return DEFAULT_EPHEMERAL;
}

/**
 * Where picks come from: below the ephemeral range, else above it, else (when the ephemeral range
 * covers nearly every port, as some containers set it) anywhere from PICK_FROM up.
 */
export function pickRange(ephemeral: PortRange): PortRange {
  const below = { low: PICK_FROM, high: ephemeral.low - 1 };
  const above = { low: Math.max(PICK_FROM, ephemeral.high + 1), high: PORT_MAX };
  if (below.high - below.low + 1 >= PICK_SPAN_MIN) return below;
  if (above.high - above.low + 1 >= PICK_SPAN_MIN) return above;
  return { low: PICK_FROM, high: PORT_MAX };
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/**
 * Ports this process has handed out. A picked port stays unbound until its server starts, so a
 * caller picking several in a row (a cluster's nodes) would otherwise get the same one twice.
 */
const handedOut = new Set<number>();

/**
 * The first of `size` consecutive ports that are free on 127.0.0.1 now, outside the ephemeral
 * range, not in `avoid` and never handed out before by this process.
 */
export async function freePortBlock(
  size: number,
  avoid: ReadonlySet<number> = new Set(),
  ephemeral: PortRange = ephemeralPortRange(),
): Promise<number> {
  const range = pickRange(ephemeral);
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    const start = range.low + Math.floor(Math.random() * (range.high - range.low + 2 - size));
    let free = true;
    for (let port = start; port < start + size && free; port++) {
      free = !avoid.has(port) && !handedOut.has(port) && (await isFree(port));
    }
    if (free) {
      for (let port = start; port < start + size; port++) handedOut.add(port);
      return start;
    }
  }
  throw new Error(`no ${size} consecutive free ports in ${range.low}-${range.high}`);
}

/** One port that is free on 127.0.0.1 now, outside the ephemeral range, never handed out before. */
export function freePort(avoid: ReadonlySet<number> = new Set()): Promise<number> {
  return freePortBlock(1, avoid);
}
