// The schema-migration runner on PGlite. One in-memory instance serves every test, each in a
// schema of its own (PGlite is one session, so SET search_path holds for all its queries).
import { openPgliteExecutor } from '../../src/metadata/pglite-executor';
import type { SqlExecutor } from '../../src/metadata/sql-executor';
import { schemaMigrationsContract } from './schema-migrations.contract';

jest.setTimeout(60_000);

describe('schema migrations on PGlite', () => {
  let executor: SqlExecutor;
  let schemaNumber = 0;

  beforeAll(async () => {
    executor = await openPgliteExecutor({});
  });

  afterAll(() => executor?.close());

  schemaMigrationsContract(async () => {
    const schema = `test_${++schemaNumber}`;
    await executor.executeScript(`CREATE SCHEMA ${schema}; SET search_path TO ${schema};`);
    return { first: executor, second: executor };
  });
});
