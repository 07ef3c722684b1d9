// What every command runs against: one coordinator connection (opened on first use, so help,
// usage errors and local commands never load gRPC) and the session's defaults. A command line
// is a session of one command; `pairdb shell` is one session for many
// (docs/architecture.md#the-pairdb-command).
import type { Consistency, PairDBClient } from '@pairdb/client';

export interface ConnectionSettings {
  /** host:port of the coordinator (--address, PAIRDB_ADDRESS). */
  readonly address: string;
  /** Deadline of each request, retries included (--timeout, PAIRDB_TIMEOUT_MS). */
  readonly timeoutMs: number;
}

/** Defaults a command applies when its own flag is absent; the shell changes them. */
export interface SessionDefaults {
  /** Print results as JSON (each command's --json); default off. */
  json: boolean;
  /** Read and write consistency (--consistency); undefined leaves it to the client: quorum. */
  consistency?: Consistency;
}

export class Session {
  readonly defaults: SessionDefaults = { json: false };
  private settings?: ConnectionSettings;
  private connection?: Promise<PairDBClient>;

  constructor(
    /** True in `pairdb shell`: stdin belongs to the prompt, and the shell cannot nest. */
    readonly interactive = false,
  ) {}

  /** Sets where the connection goes; only before it is opened (a shell keeps its coordinator). */
  configure(settings: ConnectionSettings): void {
    if (!this.connection) this.settings = settings;
  }

  connectionSettings(): ConnectionSettings {
    if (!this.settings) throw new Error('bug: a session is used before it is configured');
    return this.settings;
  }

  /** The session's one connection; the first call loads the client and opens it. */
  client(): Promise<PairDBClient> {
    const { address, timeoutMs } = this.connectionSettings();
    this.connection ??= import('@pairdb/client').then(
      ({ PairDBClient: Client }) => new Client({ address, timeoutMs }),
    );
    return this.connection;
  }

  json(flag: boolean | undefined): boolean {
    return flag ?? this.defaults.json;
  }

  consistency(flag: Consistency | undefined): Consistency | undefined {
    return flag ?? this.defaults.consistency;
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) (await connection).close();
  }
}
