// The schema-migration runner on real PostgreSQL: every test gets a new database, and the two
// runners of the concurrency test use two separate pools, as two coordinators would.
import { createPostgresExecutor } from '../../src/metadata/postgres-executor';
import type { SqlExecutor } from '../../src/metadata/sql-executor';
import {
  POSTGRES_SERVICE,
  describeWithService,
  planService,
  startService,
  type RunningService,
} from '../support/test-services';
import { createTestDatabase, type TestDatabase } from './postgres-test-database';
import { schemaMigrationsContract } from './schema-migrations.contract';

jest.setTimeout(60_000);

const plan = planService(POSTGRES_SERVICE);

describeWithService('schema migrations on PostgreSQL', plan, () => {
  let server: RunningService;
  const databases: TestDatabase[] = [];
  const executors: SqlExecutor[] = [];

  beforeAll(async () => {
    server = await startService(POSTGRES_SERVICE, plan);
  });

  afterEach(async () => {
    for (const executor of executors.splice(0)) await executor.close();
    for (const database of databases.splice(0)) await database.drop();
  });

  afterAll(() => server?.stop());

  schemaMigrationsContract(async () => {
    const database = await createTestDatabase(server.url);
    databases.push(database);
    const first = createPostgresExecutor({ url: database.url, minConnections: 0 });
    const second = createPostgresExecutor({ url: database.url, minConnections: 0 });
    executors.push(first, second);
    return { first, second };
  });
});
