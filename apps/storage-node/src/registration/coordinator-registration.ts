// Self-registration wired to a coordinator's public AddStorageNode (accept_registered set), from
// the node's `registration` settings (config.ts).
import { AlreadyExistsError, InvalidArgumentError, PairDBClient } from '@pairdb/client';
import type { Logger } from '@pairdb/service-runtime';
import type { StorageNodeConfig } from '../config';
import { SelfRegistration } from './self-registration';

/** Deadline of one attempt: a coordinator that hangs is tried again after the backoff. */
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface CoordinatorRegistration {
  readonly registration: SelfRegistration;
  /** Ends the attempts and closes the connection. */
  stop(): Promise<void>;
}

/** Undefined when registration is off (registration.coordinator_address empty). */
export function startCoordinatorRegistration(
  config: StorageNodeConfig,
  logger: Logger,
): CoordinatorRegistration | undefined {
  const settings = config.registration;
  if (settings.coordinator_address === '') return undefined;
  const client = new PairDBClient({
    address: settings.coordinator_address,
    timeoutMs: ATTEMPT_TIMEOUT_MS,
    // The registration loop owns the retries and their backoff.
    retry: { attempts: 1 },
  });
  const node = {
    nodeId: config.server.node_id,
    host: settings.advertise_host,
    port: settings.advertise_port === 0 ? config.server.port : settings.advertise_port,
    virtualNodes: settings.virtual_nodes,
    acceptRegistered: true,
  };
  const where = `${node.host}:${node.port}`;
  const registration = new SelfRegistration({
    register: () => client.addStorageNode(node),
    isRefusal: (error) =>
      error instanceof AlreadyExistsError || error instanceof InvalidArgumentError,
    backoffInitialMs: settings.backoff_initial,
    backoffMaxMs: settings.backoff_max,
    sleep: abortableSleep,
    onRegistered: (outcome, attempts) =>
      logger.info(
        { coordinator: client.address, address: where, attempts, ...outcome },
        outcome.alreadyRegistered
          ? 'already registered at this address: nothing changed'
          : outcome.migrationId === ''
            ? 'registered (no data to move)'
            : `registered: migration ${outcome.migrationId} moves this node's share to it`,
      ),
    onRetry: (error, attempt, delayMs) =>
      logger.warn(
        { coordinator: client.address, attempt, delayMs, err: (error as Error).message },
        'registration failed; trying again',
      ),
    onRefused: (error) =>
      logger.error(
        { coordinator: client.address, address: where, err: (error as Error).message },
        'registration refused: this node stays unready until its settings change',
      ),
  });
  registration.start();
  return {
    registration,
    stop: async () => {
      await registration.stop();
      client.close();
    },
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
