import { loadStorageNodeConfig } from '../../src/config';
import {
  backoffDelayMs,
  SelfRegistration,
  type RegistrationOutcome,
} from '../../src/registration/self-registration';

class Refused extends Error {}

const ACCEPTED: RegistrationOutcome = { migrationId: 'mig-1', alreadyRegistered: false };

/** A registration whose attempts fail `failures` times, on a clock that only records pauses. */
function scripted(failures: number, refuseAt?: number) {
  const pauses: number[] = [];
  let attempts = 0;
  const registration = new SelfRegistration({
    register: async () => {
      attempts++;
      if (attempts === refuseAt) throw new Refused('node n1 is registered at a:1, not b:2');
      if (attempts <= failures) throw new Error('coordinator unavailable');
      return ACCEPTED;
    },
    isRefusal: (error) => error instanceof Refused,
    backoffInitialMs: 100,
    backoffMaxMs: 1_000,
    sleep: async (ms) => {
      pauses.push(ms);
    },
    random: () => 1,
  });
  return { registration, pauses, attempts: () => attempts };
}

describe('storage node self-registration', () => {
  it('retries a failing coordinator with doubling pauses capped at backoff_max', async () => {
    const { registration, pauses, attempts } = scripted(6);
    registration.start();
    await registration.settled();
    expect(attempts()).toBe(7);
    expect(pauses).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(registration.state).toBe('registered');
  });

  it('stops at a refusal no retry can change and reports it', async () => {
    const { registration, attempts } = scripted(5, 2);
    registration.start();
    await registration.settled();
    expect(attempts()).toBe(2);
    expect(registration.state).toBe('refused');
    expect(registration.describe()).toBe('refused: node n1 is registered at a:1, not b:2');
  });

  it('is registering while attempts fail and ends when stopped mid-pause', async () => {
    let attempts = 0;
    const registration = new SelfRegistration({
      register: async () => {
        attempts++;
        throw new Error('unavailable');
      },
      isRefusal: () => false,
      backoffInitialMs: 100,
      backoffMaxMs: 100,
      // A pause that only the stop ends.
      sleep: (_ms, signal) =>
        new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
    });
    registration.start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(registration.state).toBe('registering');
    await registration.stop();
    expect(attempts).toBe(1);
    expect(registration.state).toBe('registering');
  });

  it('jitter keeps each pause within the upper half of its ceiling', () => {
    expect(backoffDelayMs(1, 100, 1_000, 0)).toBe(50);
    expect(backoffDelayMs(3, 100, 1_000, 0.5)).toBe(300);
    expect(backoffDelayMs(40, 100, 1_000, 0.999_999)).toBe(1_000);
  });
});

describe('registration settings', () => {
  it('is off by default', () => {
    expect(loadStorageNodeConfig(undefined, {}).registration.coordinator_address).toBe('');
  });

  it('takes every setting from PAIRDB_REGISTRATION_* variables', () => {
    const config = loadStorageNodeConfig(undefined, {
      PAIRDB_REGISTRATION_COORDINATOR_ADDRESS: 'coordinator.pairdb.svc:50051',
      PAIRDB_REGISTRATION_ADVERTISE_HOST: 'storage-node-0.storage-node.pairdb.svc.cluster.local',
      PAIRDB_REGISTRATION_ADVERTISE_PORT: '6000',
      PAIRDB_REGISTRATION_VIRTUAL_NODES: '64',
    });
    expect(config.registration).toMatchObject({
      coordinator_address: 'coordinator.pairdb.svc:50051',
      advertise_host: 'storage-node-0.storage-node.pairdb.svc.cluster.local',
      advertise_port: 6000,
      virtual_nodes: 64,
    });
  });

  it('names advertise_host when a coordinator is given without it', () => {
    expect(() =>
      loadStorageNodeConfig(undefined, { PAIRDB_REGISTRATION_COORDINATOR_ADDRESS: 'c:50051' }),
    ).toThrow(/registration\.advertise_host: is required when registration\.coordinator_address/);
  });

  it('names the field, value and variable of a coordinator address without a port', () => {
    expect(() =>
      loadStorageNodeConfig(undefined, {
        PAIRDB_REGISTRATION_COORDINATOR_ADDRESS: 'coordinator',
        PAIRDB_REGISTRATION_ADVERTISE_HOST: 'n0',
      }),
    ).toThrow(
      /registration\.coordinator_address: expected host:port.*"coordinator".*PAIRDB_REGISTRATION_COORDINATOR_ADDRESS/,
    );
  });
});
