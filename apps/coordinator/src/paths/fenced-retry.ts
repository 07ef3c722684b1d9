// A request refused by a storage node for a stale ring version (docs/architecture.md#membership-and-migrations)
// is placed again under the reloaded ring and sent once more; a second refusal is the answer.
import { QuorumError } from '../errors';
import { anyFenced } from '../replicas/replica-failure';

/** Runs `attempt`; when its quorum failed on a fenced replica, reloads the ring and runs it once more. */
export async function retryOnceIfFenced<T>(
  attempt: () => Promise<T>,
  reloadRing: (() => Promise<void>) | undefined,
): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof QuorumError) || !anyFenced(error.failures) || !reloadRing) throw error;
    await reloadRing();
    return attempt();
  }
}
