// A storage-node process started inside a network namespace, listening on the namespace's
// address: the host (coordinator, other nodes, the test) reaches it only over the veth pair, so
// cutting that link partitions exactly this node. Otherwise it is the harness's StorageProcess.
import { StorageProcess } from './cluster-harness';
import type { NetworkNamespace } from './network-namespace';

/** After SIGTERM, how long the node may drain before it is killed (it must not outlive a test). */
const STOP_GRACE_MS = 10_000;

export class NamespacedStorageProcess extends StorageProcess {
  constructor(
    nodeId: string,
    port: number,
    dataDir: string,
    readonly namespace: NetworkNamespace,
  ) {
    super(nodeId, port, dataDir);
  }

  override get host(): string {
    return this.namespace.address;
  }

  protected override command(): [string, string[]] {
    const [command, args] = super.command();
    return this.namespace.commandInside(command, args);
  }

  /** SIGTERM, then SIGKILL if the node has not exited within the grace period. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.kill('SIGTERM');
    clearTimeout(killer);
  }
}
