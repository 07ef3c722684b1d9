// Coordinator ids mint dots, so a second process with the id of a live coordinator must never
// serve: it waits at most one lease for the holder to lapse, then exits non-zero naming the id
// and the holder. Once the holder stops (releasing its lease), the same id starts at once.
// Two real coordinator processes on one PostgreSQL database (PGlite is one process per dir).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '@pairdb/test-ports';
import { createTestDatabase, type TestDatabase } from '../metadata/postgres-test-database';
import {
  POSTGRES_SERVICE,
  describeWithService,
  planService,
  startService,
  type RunningService,
} from '../support/test-services';
import { coordinatorEnv, ServiceProcess } from './service-process';

/** Short, so the refused process gives up quickly: it waits one lease plus a margin. */
const LEASE_MS = 1_500;
/** Loading the sources through swc takes seconds on a busy machine. */
const EXIT_TIMEOUT_MS = 60_000;
jest.setTimeout(4 * EXIT_TIMEOUT_MS);

const plan = planService(POSTGRES_SERVICE);

describeWithService('a second coordinator with a live coordinator id', plan, () => {
  let postgres: RunningService;
  let database: TestDatabase;
  let root: string;
  const processes: ServiceProcess[] = [];

  const coordinator = async (dir: string): Promise<Record<string, string>> => ({
    ...coordinatorEnv('coord-dup', await freePort(), path.join(root, dir), {
      pgUrl: database.url,
    }),
    PAIRDB_MEMBERSHIP_LEASE_MS: String(LEASE_MS),
  });

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    database = await createTestDatabase(postgres.url);
    root = mkdtempSync(path.join(tmpdir(), 'pairdb-duplicate-id-'));
  });

  afterAll(async () => {
    for (const started of processes) await started.kill();
    await database?.drop();
    await postgres?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses to start, exits non-zero and names the id and its holder', async () => {
    const first = await ServiceProcess.start('coordinator', await coordinator('first'));
    processes.push(first);
    const claimed = await first.waitForLog((l) => l.msg === 'coordinator id claimed', 1_000);
    const holder = String(claimed['instanceId']);

    const second = ServiceProcess.spawn('coordinator', await coordinator('second'));
    processes.push(second);
    const exit = await second.waitForExit(EXIT_TIMEOUT_MS);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(second.stderr).toContain('coordinator id "coord-dup"');
    expect(second.stderr).toContain(`instance ${JSON.stringify(holder)}`);
    expect(second.logs.some((l) => /serving/.test(String(l.msg)))).toBe(false);
    expect(
      second.logs.some(
        (l) => l.msg === 'coordinator id held by another instance; waiting for its lease to lapse',
      ),
    ).toBe(true);
    expect(first.running).toBe(true);

    // A clean stop releases the id: a successor claims it without waiting out the lease.
    first.signal('SIGTERM');
    expect((await first.waitForExit(EXIT_TIMEOUT_MS)).code).toBe(0);
    const successor = await ServiceProcess.start('coordinator', await coordinator('third'));
    processes.push(successor);
    expect(successor.logs.some((l) => /waiting for its lease to lapse/.test(String(l.msg)))).toBe(
      false,
    );
  });
});
