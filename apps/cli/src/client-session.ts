// The coordinator connection every client and admin command shares: --address (PAIRDB_ADDRESS)
// and --timeout from the global options, one PairDBClient per command, always closed.
import type { Command } from 'commander';
import { PairDBClient } from '@pairdb/client';

export interface GlobalOptions {
  address: string;
  timeout: number;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export async function withClient<T>(
  command: Command,
  use: (client: PairDBClient) => Promise<T>,
): Promise<T> {
  const options = globalOptions(command);
  const client = new PairDBClient({ address: options.address, timeoutMs: options.timeout });
  try {
    return await use(client);
  } finally {
    client.close();
  }
}
