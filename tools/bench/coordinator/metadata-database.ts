// A throwaway PostgreSQL database for the metadata several coordinators share (PGlite lives
// inside one coordinator process and cannot be shared): created fresh, uniquely named, for one
// cluster and dropped when it stops. A run cut short by Ctrl-C drops the ones still present
// (dropLeftoverDatabases); only a SIGKILLed benchmark leaves one behind, named pairdb_bench_*.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Connecting to the server, or a CREATE/DROP, slower than this is a server that is not there. */
const ADMIN_TIMEOUT_MS = 5_000;

export interface MetadataDatabase {
  /** The URL the coordinators connect to. */
  readonly url: string;
  drop(): Promise<void>;
}

const present = new Map<string, MetadataDatabase>();

async function withAdmin<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionString: serverUrl,
    connectionTimeoutMillis: ADMIN_TIMEOUT_MS,
    query_timeout: ADMIN_TIMEOUT_MS,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database on the server `serverUrl` names (its user needs CREATEDB). */
export async function createMetadataDatabase(serverUrl: string): Promise<MetadataDatabase> {
  const name = `pairdb_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database: MetadataDatabase = {
    url: url.toString(),
    drop: async () => {
      present.delete(name);
      // FORCE: a coordinator SIGKILLed a moment ago may still hold a connection.
      await withAdmin(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
  present.set(name, database);
  return database;
}

/** Whether PostgreSQL answers at `serverUrl`; the error's message if not. */
export async function postgresProblem(serverUrl: string): Promise<string | undefined> {
  try {
    await withAdmin(serverUrl, (client) => client.query('SELECT 1'));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Drops every database created here and not dropped yet (after Ctrl-C); one that cannot be
 * dropped is named, so it can be dropped by hand. */
export async function dropLeftoverDatabases(): Promise<void> {
  await Promise.all(
    [...present].map(([name, database]) =>
      database.drop().catch((error: Error) => {
        console.error(`bench: database ${name} left behind: ${error.message}`);
      }),
    ),
  );
}
