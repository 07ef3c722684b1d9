// The other system in the comparison: a 3-member etcd cluster on 127.0.0.1, started from the
// `etcd` binary on PATH (Debian: apt-get install etcd-server) with its data in a temp dir that
// stop() removes. Only the cluster layout is set; everything else is etcd's default, so every
// Put is in the WAL, fsynced, on a majority of members before it is answered, as a PairDB
// QUORUM write is on a majority of replicas with `sync=always`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { credentials, Metadata } from '@grpc/grpc-js';
import { freePortBlock } from '@pairdb/test-ports';
import { etcdKvClient } from './etcd-kv';
import { killOnExit, removeDir, removeOnExit } from './exit-cleanup';

export const ETCD_MEMBER_COUNT = 3;
export const ETCD_INSTALL_HINT = 'apt-get install etcd-server';
/** Election and the first commit take a few seconds on a busy machine. */
const START_TIMEOUT_MS = 60_000;
/** A SIGTERM stop longer than this is a hang: the member is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** One readiness Put; a member without a leader yet holds it until this deadline. */
const READINESS_CALL_MS = 2_000;
const READINESS_RETRY_MS = 200;
/** Outside the bench key shape (benchKey). */
const READINESS_KEY = Buffer.from('bench-readiness');
/** Lines of a member's log (stderr) kept to explain a failed start. */
const LOG_LINES_KEPT = 20;

export class EtcdStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdStartError';
  }
}

/** The `etcd` executable on PATH, or undefined. */
export function findEtcd(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'etcd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/** The environment without ETCD_* variables, which etcd would read as flags. */
function etcdEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ETCD_')),
  );
}

export class EtcdCluster {
  private readonly children: ChildProcess[] = [];
  private readonly logs = new Map<string, string[]>();

  private constructor(
    private readonly binary: string,
    private readonly root: string,
    private readonly members: readonly Member[],
    /** First line of `etcd --version`. */
    readonly version: string,
  ) {}

  static async start(binary: string): Promise<EtcdCluster> {
    const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
    const base = await freePortBlock(2 * ETCD_MEMBER_COUNT);
    const members = Array.from({ length: ETCD_MEMBER_COUNT }, (_, index) => ({
      name: `etcd-${index + 1}`,
      clientPort: base + index,
      peerPort: base + ETCD_MEMBER_COUNT + index,
    }));
    const root = mkdtempSync(path.join(tmpdir(), 'pairdb-bench-etcd-'));
    removeOnExit(root);
    const cluster = new EtcdCluster(binary, root, members, version);
    try {
      for (const member of members) cluster.startMember(member);
      await Promise.all(members.map((member) => cluster.putUntilServed(member)));
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** host:port of each member's client (gRPC) listener. */
  get clientAddresses(): string[] {
    return this.members.map((member) => `127.0.0.1:${member.clientPort}`);
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid!);
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map(stopChild));
    removeDir(this.root);
  }

  private startMember(member: Member): void {
    const peerUrl = (m: Member) => `http://127.0.0.1:${m.peerPort}`;
    const clientUrl = `http://127.0.0.1:${member.clientPort}`;
    const args = [
      `--name=${member.name}`,
      `--data-dir=${path.join(this.root, member.name)}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl(member)}`,
      `--initial-advertise-peer-urls=${peerUrl(member)}`,
      `--initial-cluster=${this.members.map((m) => `${m.name}=${peerUrl(m)}`).join(',')}`,
      `--initial-cluster-token=${path.basename(this.root)}`,
      '--initial-cluster-state=new',
    ];
    const child = spawn(this.binary, args, { env: etcdEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    killOnExit(child);
    this.children.push(child);
    const log: string[] = [];
    this.logs.set(member.name, log);
    child.on('error', (error) => log.push(error.message));
    // Every line is read, so the member never blocks on a full pipe.
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.push(line);
      if (log.length > LOG_LINES_KEPT) log.shift();
    });
  }

  /** Resolves once a Put through `member` succeeds: the cluster has a leader and the member
   * reaches it. */
  private async putUntilServed(member: Member): Promise<void> {
    const client = etcdKvClient(`127.0.0.1:${member.clientPort}`, credentials.createInsecure());
    const deadline = Date.now() + START_TIMEOUT_MS;
    try {
      for (;;) {
        const exited = this.children.findIndex(hasExited);
        if (exited >= 0) this.fail(this.members[exited]!, 'exited');
        const error = await new Promise<Error | null>((resolve) =>
          client.Put(
            { key: READINESS_KEY, value: Buffer.alloc(0) },
            new Metadata(),
            { deadline: Date.now() + READINESS_CALL_MS },
            resolve,
          ),
        );
        if (!error) return;
        if (Date.now() > deadline) this.fail(member, `serves no Put: ${error.message}`);
        await new Promise((resolve) => setTimeout(resolve, READINESS_RETRY_MS));
      }
    } finally {
      client.close();
    }
  }

  private fail(member: Member, why: string): never {
    const log = this.logs.get(member.name)?.join('\n') ?? '';
    throw new EtcdStartError(`${member.name} ${why}: ${log}`);
  }
}

/** Exited, or never started (a failed spawn has no pid). */
function hasExited(child: ChildProcess): boolean {
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
