// A network namespace joined to the host by a veth pair, for tests that cut a process off the
// network: the namespace end and the host end share a private /30, nothing else is routed, and
// the link can be partitioned and healed. Needs root and iproute2 (`ip`, `tc`).
//
// Names carry the creating process's pid, so a run can tell its own leftovers (or those of a
// crashed run, whose pid is gone) from the namespaces of a run still going.
import { execFileSync, spawnSync } from 'node:child_process';

/** Every namespace this helper makes starts with this; leftovers are found by it. */
export const NAMESPACE_PREFIX = 'pairdb-part-';
/** Host-side veth names: `pdbp<pid>h`, at most 15 characters as Linux requires. */
const HOST_LINK_PREFIX = 'pdbp';
/** The /30s are carved from this /16 (RFC 1918 private space), one per creating pid. */
const SUBNET_FIRST_OCTETS = '10.213';
/** /30s in a /16: the pid picks one of them. */
const SUBNETS_IN_RANGE = 16_384;
/** Longest an `ip` or `tc` command may take before the test gives up on it. */
const COMMAND_TIMEOUT_MS = 10_000;

/** Why this machine cannot run namespace tests: empty when it can. */
export function missingNamespacePrerequisites(): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push(`Linux (this is ${process.platform})`);
  if (process.getuid?.() !== 0) missing.push('root (ip netns and tc need CAP_NET_ADMIN)');
  for (const tool of ['ip', 'tc']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore' }).error) {
      missing.push(`${tool} (Debian package iproute2)`);
    }
  }
  return missing;
}

function run(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

function tryRun(command: string, args: readonly string[]): void {
  spawnSync(command, args, { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills what still runs in a namespace, then deletes it (and so its end of the veth pair). */
function destroyNamespace(name: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tryRun('ip', ['netns', 'delete', name]);
}

/**
 * Best effort: removes namespaces and host links this helper made in runs whose process is gone
 * (a crashed or killed test never reached its own teardown), and any of this process's own.
 */
export function removeLeftoverNamespaces(): void {
  const stale = (pid: number) => pid === process.pid || !isAlive(pid);
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of namespaces.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = Number(name.slice(NAMESPACE_PREFIX.length));
    if (name.startsWith(NAMESPACE_PREFIX) && Number.isInteger(pid) && stale(pid)) {
      destroyNamespace(name);
    }
  }
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
  const pattern = new RegExp(`^\\d+: (${HOST_LINK_PREFIX}(\\d+)h)[@:]`);
  for (const line of links.split('\n')) {
    const match = pattern.exec(line);
    if (match && stale(Number(match[2]))) tryRun('ip', ['link', 'delete', match[1]!]);
  }
}

export class NetworkNamespace {
  private partitioned = false;

  private constructor(
    /** The namespace's name, for `ip netns exec`. */
    readonly name: string,
    /** The veth end left on the host. */
    readonly hostLink: string,
    /** The veth end inside the namespace. */
    readonly namespaceLink: string,
    /** The host end's address: where the namespace sees the host's traffic come from. */
    readonly hostAddress: string,
    /** The namespace end's address: where a server inside the namespace listens. */
    readonly address: string,
  ) {}

  /** Makes the namespace for this process (after clearing leftovers) and brings its link up. */
  static create(): NetworkNamespace {
    removeLeftoverNamespaces();
    const pid = process.pid;
    const index = pid % SUBNETS_IN_RANGE;
    const at = (offset: number) =>
      `${SUBNET_FIRST_OCTETS}.${index >> 6}.${(index & 63) * 4 + offset}`;
    const namespace = new NetworkNamespace(
      `${NAMESPACE_PREFIX}${pid}`,
      `${HOST_LINK_PREFIX}${pid}h`,
      `${HOST_LINK_PREFIX}${pid}n`,
      at(1),
      at(2),
    );
    const taken = run('ip', ['-4', '-o', 'addr', 'show', 'to', `${at(0)}/30`]).trim();
    if (taken) {
      throw new Error(`the subnet ${at(0)}/30 is already used on this host: ${taken}`);
    }
    try {
      namespace.build();
    } catch (error) {
      namespace.remove();
      throw error;
    }
    return namespace;
  }

  private build(): void {
    run('ip', ['netns', 'add', this.name]);
    run('ip', ['link', 'add', this.hostLink, 'type', 'veth', 'peer', 'name', this.namespaceLink]);
    run('ip', ['link', 'set', this.namespaceLink, 'netns', this.name]);
    run('ip', ['addr', 'add', `${this.hostAddress}/30`, 'dev', this.hostLink]);
    run('ip', ['link', 'set', this.hostLink, 'up']);
    run('ip', ['-n', this.name, 'addr', 'add', `${this.address}/30`, 'dev', this.namespaceLink]);
    run('ip', ['-n', this.name, 'link', 'set', this.namespaceLink, 'up']);
    run('ip', ['-n', this.name, 'link', 'set', 'lo', 'up']);
  }

  /** The program and arguments that run `command` inside the namespace (ip execs it in place). */
  commandInside(command: string, args: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, command, ...args]];
  }

  /**
   * Cuts the link silently in both directions: every packet either end sends is dropped.
   *
   * A blackhole, not `ip link set down`: a downed link removes the host's route, so a send fails
   * at once with ENETUNREACH and a caller learns of the failure for free. A real partition (a
   * dead switch, a cut cable, a dropped route upstream) answers nothing: requests hang until
   * their deadlines, which is what timeouts, hints and quorum counting must survive. The
   * `blackhole` qdisc drops everything its interface transmits; it is built into every kernel
   * with traffic control (netem's `loss 100%` is a module many kernels lack, and iptables is a
   * package the host may not have).
   */
  partition(): void {
    this.partitioned = true;
    run('tc', ['qdisc', 'add', 'dev', this.hostLink, 'root', 'blackhole']);
    run('tc', ['-n', this.name, 'qdisc', 'add', 'dev', this.namespaceLink, 'root', 'blackhole']);
  }

  get isPartitioned(): boolean {
    return this.partitioned;
  }

  /** Restores the link: packets flow again and TCP retransmits what the partition dropped. */
  heal(): void {
    tryRun('tc', ['qdisc', 'del', 'dev', this.hostLink, 'root']);
    tryRun('tc', ['-n', this.name, 'qdisc', 'del', 'dev', this.namespaceLink, 'root']);
    this.partitioned = false;
    const left =
      run('tc', ['qdisc', 'show', 'dev', this.hostLink]) +
      run('tc', ['-n', this.name, 'qdisc', 'show', 'dev', this.namespaceLink]);
    if (left.includes('blackhole')) throw new Error(`the link still drops packets: ${left}`);
  }

  /** Deletes the namespace, whatever still runs in it, and the veth pair. Safe to repeat. */
  remove(): void {
    destroyNamespace(this.name);
    tryRun('ip', ['link', 'delete', this.hostLink]);
  }
}
